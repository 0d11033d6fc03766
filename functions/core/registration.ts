import * as z from './zod';
import type { StoredItem, WorkflowTarget } from './ports';
import { type StoredVerifier, storedVerifierSchema } from './verify/verifier-config';

/** The registry partitions that bind workflows (a subset of functions/adapters/aws/registry-items.ts' kinds). */
export type RegisteredWorkflowBinding =
  'flows' | 'client-webhooks' | 'inbound-workflows' | 'event-workflows' | 'webhook-templates';

/**
 * What every style's registration (functions/styles/<style>/registration.ts) shares. A registration names its
 * workflows by a string: a workflow of workflows/workflows.json in the local config file, the state machine's
 * construct path in the CDK construct. Each side resolves that name to a WorkflowTarget its own way (the local
 * manifest; the construct's grants), and the style's codec turns the registration and its targets into registry
 * items. So the fields and their rules are written once, and the local stack, the construct and the registry
 * agree on them.
 */

/** A resolved workflow as registry items hold it (read back by the registry adapter). */
export const workflowTargetSchema = z.object({
  stateMachineArn: z.string().check(z.startsWith('arn:')),
  workflowType: z.enum(['EXPRESS', 'STANDARD']),
  runGuarded: z.optional(z.literal(true)),
});

/** A registry item: its key (`pk` + `sk`) and plain attributes, as @aws-sdk/util-dynamodb's marshall takes them. */
export type RegistryItem = { readonly pk: string; readonly sk: string } & Record<string, unknown>;

/** Resolves one workflow name of a registration; `field` names where the registration names it (e.g. devWorkflow). */
export type ResolveWorkflow = (name: string, field: string) => WorkflowTarget;

/** A registration that breaks a rule: the message names the registration and the field. */
export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
}

/**
 * One kind of registration (flows, client webhooks, …): its schema, how to name one in a message, and its codec.
 * `S` is the schema of one registration as the config file and the construct give it (secrets excluded: those
 * are local-only extensions and, in AWS, set by scripts/ after deploy).
 */
export interface RegistrationKind<S extends z.ZodMiniType, L extends z.ZodMiniType = S> {
  /** The kind as messages name it, e.g. `flow`. */
  readonly kind: string;
  /** Where the local config file (local/hookflow.local.json) lists this kind, e.g. `['inbound', 'workflows']`. */
  readonly configPath: readonly string[];
  /** One registration as the construct takes it. */
  readonly schema: S;
  /** One registration as the local config file gives it: the schema, plus the secrets a laptop may hold. */
  readonly localSchema: L;
  /** `flow hello`: how a message names one registration, from its raw input (it may be invalid). */
  label(input: unknown): string;
  /**
   * The registry items of one valid registration. Rules that need the workflows' types (a webhook template
   * must be STANDARD) are checked here, the one place both the local stack and the construct pass through.
   */
  items(registration: z.output<L>, resolve: ResolveWorkflow): RegistryItem[];
  /** The partition-key prefixes this kind's items live under: what a declarative config owns in the registry. */
  readonly prefixes: readonly string[];
  /**
   * The local schema's fields that hold secrets (a key, a verifier's secret). Never passed to the construct, whose
   * schema refuses them: in AWS, scripts/ and the CLI set them after deploy.
   */
  readonly secretFields: readonly string[];
  /**
   * The registry partition this kind binds workflows under: the construct grants its workflows to every handler
   * whose spec `runs` that binding (functions/styles/<style>/index.ts), never to handlers named here.
   */
  readonly binding: RegisteredWorkflowBinding;
  /**
   * The construct id of an item's RegistryRecord. It must never change for an existing registration: CloudFormation
   * would replace the record, and the old record's delete would remove the item the new one just wrote.
   */
  recordId(item: RegistryItem): string;
}

/**
 * Parses one registration, or throws a RegistrationError naming it and each wrong field
 * (`client webhook acme/signup: devWorkflow: mode dev needs a devWorkflow`).
 */
export function parseRegistration<S extends z.ZodMiniType, L extends z.ZodMiniType>(
  kind: RegistrationKind<S, L>,
  input: unknown,
): z.output<S> {
  return parseWith(kind.schema, kind.label(input), input);
}

/** As parseRegistration, with another schema of the same kind (the local file's, which adds secrets). */
export function parseWith<S extends z.ZodMiniType>(schema: S, label: string, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new RegistrationError(`${label}: ${describeIssues(parsed.error.issues)}`);
}

/** `field: message` per issue; an unknown field is named as such (e.g. a key passed to the construct). */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const at = issue.path.length === 0 ? '' : `${issue.path.join('.')}.`;
        return issue.keys.map((key) => `${at}${key}: not a field of this registration`).join('; ');
      }
      return issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`;
    })
    .join('; ');
}

/** `acme/orders` for a message, whatever the raw input held (a missing part shows as `?`). */
export function named(...parts: unknown[]): string {
  return parts.map((part) => (typeof part === 'string' && part !== '' ? part : '?')).join('/');
}

/** A field of a raw, not yet validated input. */
export function field(input: unknown, name: string): unknown {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[name] : undefined;
}

/**
 * Records decoded from an item, by the item object and the schema: the registry cache (./registry-cache.ts) hands
 * every hit the same item object, which used to be parsed by its zod schema again on each request. The item is
 * never changed once read (the cache's rule), so its record is the same on every hit: decoded once, frozen (a
 * shared record no request can change for the next), and kept as long as the item is (a WeakMap: an item the
 * cache dropped takes its records with it). An item read fresh (the cache off, a miss) is a new object, decoded
 * as before. A malformed item is never kept: it fails on every read.
 */
const decoded = new WeakMap<StoredItem, Map<z.ZodMiniType, unknown>>();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A registry item read back with its kind's schema (each style's registry slice decodes its own kinds).
 * Registrations are data anyone with table access can edit, so a malformed item fails loudly, never runs as
 * something else and never opens what it guards.
 */
export function decodeItem<S extends z.ZodMiniType>(schema: S, item: StoredItem, detail = false): z.output<S> {
  const bySchema = decoded.get(item);
  if (bySchema?.has(schema)) return bySchema.get(schema) as z.output<S>;
  const parsed = schema.safeParse(item);
  if (parsed.success) {
    const record = deepFreeze(parsed.data);
    if (bySchema === undefined) decoded.set(item, new Map([[schema, record]]));
    else bySchema.set(schema, record);
    return record;
  }
  const why = detail ? `: ${parsed.error.issues[0]?.message ?? ''}` : '';
  throw new Error(
    `registry item ${String(item.pk)}${item.sk === undefined ? '' : ` ${String(item.sk)}`} is malformed${why}`,
  );
}

/** A registration's optional verifier (scripts/set-verifier.ts); a malformed one fails loudly, never open. */
export function verifierOf(item: StoredItem): { verifier?: StoredVerifier } {
  if (item.verifier === undefined) return {};
  const parsed = storedVerifierSchema.safeParse(item.verifier);
  if (!parsed.success) throw new Error(`registry item ${String(item.pk)} has a malformed verifier`);
  return { verifier: parsed.data };
}

/**
 * `recordDeliveries: false` turns delivery records off for one registration (docs/deliveries.md): one field every
 * style's registration schema extends with, written to its registry item only when false.
 */
export const recordDeliveriesField = { recordDeliveries: z.optional(z.boolean()) };

/** The registry item's attribute for a registration's `recordDeliveries` (absent: recording on). */
export function recordDeliveriesItem(registration: { readonly recordDeliveries?: boolean | undefined }): {
  recordDeliveries?: false;
} {
  return registration.recordDeliveries === false ? { recordDeliveries: false } : {};
}

/** Whether a registry item's registration records its deliveries: on unless it says false. */
export function recordsDeliveries(item: StoredItem): boolean {
  return item.recordDeliveries !== false;
}

/**
 * What a registration's request does when the workflow engine is busy (throttled or briefly down) and its start
 * fails (docs/deliveries.md, "Queue when busy"): `reject` answers 503 with Retry-After and keeps nothing (the
 * sender retries); `queue` keeps the delivery, answers 202 `queued` with its delivery id, and starts it through the
 * fan-out queue once the engine has capacity again. Each style chooses its default, next to its registration schema.
 */
export type WhenBusy = 'queue' | 'reject';

/** The one `whenBusy` field every style that may queue extends its registration schema with. */
export const whenBusyField = { whenBusy: z.optional(z.enum(['queue', 'reject'])) };

/** The registry item's attribute for a registration's `whenBusy`: written only when it differs from the default. */
export function whenBusyItem(
  registration: { readonly whenBusy?: WhenBusy | undefined },
  styleDefault: WhenBusy,
): { whenBusy?: WhenBusy } {
  return registration.whenBusy === undefined || registration.whenBusy === styleDefault
    ? {}
    : { whenBusy: registration.whenBusy };
}

/** A registry item's `whenBusy`, its style's default when absent (a malformed value is the safe `reject`). */
export function whenBusyOf(item: { readonly whenBusy?: unknown }, styleDefault: WhenBusy): WhenBusy {
  if (item.whenBusy === undefined) return styleDefault;
  return item.whenBusy === 'queue' ? 'queue' : 'reject';
}
