import { hash, randomBytes } from 'node:crypto';

/** Ids as seed 5 shows them: 16 URL-safe characters (96 random bits). Valid Step Functions execution names. */
export const randomId = (): string => randomBytes(12).toString('base64url');

/**
 * A generated verification secret: 256 random bits, as a Standard Webhooks secret (`whsec_` + base64), which
 * every other verifier accepts as an opaque string too.
 */
export const randomSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The process id a trigger with an Idempotency-Key gets for one bound workflow: the same webhook, key and
 * workflow always give the same id, so a retried trigger finds the processes it already started.
 */
export function processIdFor(webhookId: string, idempotencyKey: string, templateId: string): string {
  // One call per digest: see functions/core/auth/secrets.ts.
  return hash('sha256', `${webhookId}\u0000${idempotencyKey}\u0000${templateId}`, 'base64url').slice(0, 16);
}
