import * as z from '../zod';

/** An HTTP header name as API Gateway delivers it: lower-cased. */
const headerName = z.pipe(
  z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name is 1-64 letters, digits or "-"')),
  z.transform((name: string) => name.toLowerCase()),
);

/**
 * How a registration proves a request came from its sender. Presets follow each sender's documentation; the
 * two generic kinds cover the rest. Every scheme checks the raw body bytes and compares in constant time.
 */
export const verifierSchema = z.discriminatedUnion('kind', [
  /** The secret itself in a header (seed 4's Inbound-Webhook-Secret, seed 5's X-Verify-Signature). */
  z.object({ kind: z.literal('shared-secret'), header: headerName }),
  /** Any HMAC: the signed content is a template over `{body}`, `{timestamp}` and `{id}`. */
  z.object({
    kind: z.literal('hmac'),
    header: headerName,
    algorithm: z._default(z.enum(['sha1', 'sha256', 'sha512']), 'sha256'),
    encoding: z._default(z.enum(['hex', 'base64']), 'hex'),
    /** e.g. `sha256=`: stripped from the header value before comparing. */
    prefix: z._default(z.string().check(z.maxLength(32)), ''),
    signedContent: z._default(
      z.string().check(
        z.maxLength(256),
        z.refine((t) => t.includes('{body}'), 'signedContent must include {body}'),
      ),
      '{body}',
    ),
    timestampHeader: z.optional(headerName),
    idHeader: z.optional(headerName),
  }),
  /** standardwebhooks.com: webhook-id, webhook-timestamp, webhook-signature (`v1,<base64>`), `whsec_` secrets. */
  z.object({ kind: z.literal('standard-webhooks') }),
  /** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC of the body>`, delivery id in X-GitHub-Delivery. */
  z.object({ kind: z.literal('github') }),
  /** Stripe: `Stripe-Signature: t=<ts>,v1=<hex HMAC of "<ts>.<body>">`. */
  z.object({ kind: z.literal('stripe') }),
  /** Slack: `X-Slack-Signature: v0=<hex HMAC of "v0:<ts>:<body>">`, X-Slack-Request-Timestamp. */
  z.object({ kind: z.literal('slack') }),
  /** Microsoft Graph change notifications: every notification's `clientState` equals the secret. */
  z.object({ kind: z.literal('microsoft-graph') }),
  /** Seed 5: X-Verify-Signature carries the secret itself or an HMAC-SHA256 of the body (hex or base64). */
  z.object({ kind: z.literal('contrail') }),
]);

export type VerifierConfig = z.infer<typeof verifierSchema>;

/**
 * Opt-in replay protection: a signed timestamp must be within `toleranceSeconds` of now, and each delivery
 * (its id, or its signature when the sender sends no id) is accepted once within `ledgerSeconds`.
 */
export const replaySchema = z.object({
  toleranceSeconds: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(86_400)), 300),
  ledgerSeconds: z._default(z.number().check(z.int(), z.minimum(60), z.maximum(7 * 86_400)), 86_400),
});

export type ReplayConfig = z.infer<typeof replaySchema>;

/** A signing secret and the one it replaced, which keeps verifying until `expiresAt` (ISO 8601). */
export const signingSecretsSchema = z.object({
  current: z.string().check(z.minLength(1)),
  previous: z.optional(
    z.object({ value: z.string().check(z.minLength(1)), expiresAt: z.string().check(z.iso.datetime()) }),
  ),
});

export type SigningSecrets = z.infer<typeof signingSecretsSchema>;

/** What a registration carries to verify its requests. */
export const registrationVerifierSchema = z.object({
  verifier: verifierSchema,
  replay: z.optional(replaySchema),
});

export type RegistrationVerifier = z.infer<typeof registrationVerifierSchema>;

/** The secrets that verify at `now`: the current one, and the previous one until it expires. */
export function activeSecrets(
  secrets: SigningSecrets,
  now: number,
): { value: string; which: 'current' | 'previous' }[] {
  const active: { value: string; which: 'current' | 'previous' }[] = [{ value: secrets.current, which: 'current' }];
  if (secrets.previous !== undefined && Date.parse(secrets.previous.expiresAt) > now) {
    active.push({ value: secrets.previous.value, which: 'previous' });
  }
  return active;
}

/** Replaces the current secret; the old one keeps verifying for `overlapSeconds` (0: not at all). */
export function rotateSecrets(
  secrets: SigningSecrets,
  next: string,
  overlapSeconds: number,
  now: number,
): SigningSecrets {
  return overlapSeconds > 0
    ? {
        current: next,
        previous: { value: secrets.current, expiresAt: new Date(now + overlapSeconds * 1000).toISOString() },
      }
    : { current: next };
}

/** A verifier as a registration stores it: the scheme, replay settings and the secrets (set by scripts/set-verifier.ts). */
export const storedVerifierSchema = z.extend(registrationVerifierSchema, { secrets: signingSecretsSchema });

export type StoredVerifier = z.infer<typeof storedVerifierSchema>;
