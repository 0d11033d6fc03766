import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { API_KEY_SCOPES } from '../functions/core/auth/api-keys';
import { describeIssues, parseWith } from '../functions/core/registration';
import { type AnyRegistrationKind, registrationStyles } from '../functions/styles/registrations';

/**
 * The local stack's config file (local/hookflow.local.json by default; docs/configuration.md). Its registrations
 * are checked with each style's own schema (functions/styles/<style>/registration.ts), the one the CDK construct
 * checks at synth; what only a laptop holds (API keys, the inbound secrets, a flow's verifier secret, a client
 * webhook's key) is local to this file.
 */
const apiKeySchema = z.strictObject({
  keyId: z.string().min(1),
  key: z.string().min(8),
  /** Flow ids the key may trigger; `*` allows every flow. */
  flows: z.array(z.string()).default([]),
  /** Organisations whose registered webhooks (seed 5) the key manages, named by X-Api-Org. */
  orgs: z.array(z.string().min(1)).default([]),
  /** What the key may do: `trigger` (the default) and/or `deliveries` (the deliveries API, docs/deliveries.md). */
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).default(['trigger']),
  disabled: z.boolean().default(false),
});

export type LocalApiKey = z.infer<typeof apiKeySchema>;

/** The file's own fields; each kind's list (`flows`, `inbound.workflows`, …) is an array checked per entry below. */
const fileSchema = z.looseObject({
  $comment: z.string().optional(),
  apiKeys: z.array(apiKeySchema).default([]),
  /** Seed 4: the accepted Inbound-Webhook-Secret values (more than one while rotating). */
  inbound: z
    .strictObject({ secrets: z.array(z.string().min(16)).default([]), workflows: z.unknown().optional() })
    .default({ secrets: [] }),
});

/** The lists of registrations the file may hold, and its own fields: anything else is a typo, refused. */
const knownTopLevel = new Set([
  '$comment',
  'apiKeys',
  'inbound',
  ...registrationStyles.map((kind) => kind.configPath[0]!),
]);

export interface LocalConfig {
  readonly apiKeys: readonly LocalApiKey[];
  readonly inboundSecrets: readonly string[];
  /** Every kind of registration (in `registrationStyles` order) with the file's entries, each already valid. */
  readonly registrations: readonly { kind: AnyRegistrationKind; registrations: readonly unknown[] }[];
}

export function loadLocalConfig(path: string): LocalConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not readable JSON: ${(error as Error).message}`);
  }
  return parseLocalConfig(json, path);
}

/** Parses the file's content; errors name the file, the registration and the field. */
export function parseLocalConfig(json: unknown, path: string): LocalConfig {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is invalid: ${describeIssues(parsed.error.issues)}`);
  const unknown = Object.keys(parsed.data).filter((key) => !knownTopLevel.has(key));
  if (unknown.length > 0) {
    throw new Error(`${path} is invalid: ${unknown.map((key) => `${key}: not a field of the config file`).join('; ')}`);
  }
  const registrations = registrationStyles.map((kind) => {
    const list = kind.configPath.reduce<unknown>(
      (at, key) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined),
      json,
    );
    if (list !== undefined && !Array.isArray(list)) {
      throw new Error(`${path} is invalid: ${kind.configPath.join('.')}: must be an array`);
    }
    return {
      kind,
      registrations: (list ?? []).map((entry, i) =>
        parseWith(
          kind.localSchema,
          `${path} is invalid: ${kind.configPath.join('.')}[${i}] (${kind.label(entry)})`,
          entry,
        ),
      ),
    };
  });
  return { apiKeys: parsed.data.apiKeys, inboundSecrets: parsed.data.inbound.secrets, registrations };
}

/** A registration of the file as the construct takes it: its secret fields (a key, a verifier) left out. */
export function withoutSecrets(kind: AnyRegistrationKind, registration: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(registration as Record<string, unknown>).filter(([name]) => !kind.secretFields.includes(name)),
  );
}
