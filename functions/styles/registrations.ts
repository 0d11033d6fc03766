import type * as z from 'zod';
import type { RegistrationKind } from '../core/registration';
import { clientWebhookRegistrations } from './client-webhook/registration';
import { eventWorkflowRegistrations } from './events/registration';
import { flowRegistrations } from './flow-trigger/registration';
import { inboundWorkflowRegistrations } from './inbound/registration';
import { webhookTemplateRegistrations } from './registered-webhooks/registration';

/**
 * Every kind of registration, one per style that has one (functions/styles/<style>/registration.ts). The local
 * config loader (local/local-config.ts), its declarative seed (local/dynamodb/seed-registry.ts) and the construct
 * (lib/hookflow.ts) iterate over this list: a sixth style with registrations adds its file and one line here.
 */
export const registrationStyles: readonly AnyRegistrationKind[] = [
  flowRegistrations,
  clientWebhookRegistrations,
  inboundWorkflowRegistrations,
  eventWorkflowRegistrations,
  webhookTemplateRegistrations,
];

/** A kind of registration whatever its schema: what code iterating over every kind sees. */
export type AnyRegistrationKind = RegistrationKind<z.ZodType, z.ZodType>;
