import type * as z from '../core/zod';
import type { RegistrationKind } from '../core/registration';
import { styles } from '../routes';

/**
 * Every kind of registration, from the list of styles (each style's definition names its own, from its
 * registration.ts). The local config loader (local/local-config.ts), its declarative seed
 * (local/dynamodb/seed-registry.ts) and the construct (lib/hookflow.ts) iterate over this list: a sixth style
 * with registrations lists its kind in its own definition, nothing here.
 */
export const registrationStyles: readonly AnyRegistrationKind[] = styles.flatMap((style) => style.registrations);

/** A kind of registration whatever its schema: what code iterating over every kind sees. */
export type AnyRegistrationKind = RegistrationKind<z.ZodMiniType, z.ZodMiniType>;
