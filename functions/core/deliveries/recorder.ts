import { sha256Of } from '../auth/secrets';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { BodyStore, DeliveryLog } from './log';
import {
  CORRELATION_HEADERS,
  type DeliveryOutcome,
  type DeliveryRecord,
  type DeliveryRun,
  type DeliveryStyle,
  MAX_CORRELATION_ID_LENGTH,
  REDACTED,
  type StoredBody,
} from './record';

/**
 * The record rules (docs/deliveries.md), with no HTTP in them: the shared HTTP wrapper (functions/http/http-handler.ts)
 * builds a `DeliveryReceipt` from the request, hands the style a `Delivery` to report into, and once the answer is
 * known calls `recordDelivery`.
 *
 * Explicit passing, not AsyncLocalStorage: the report is an argument of each style's core function (its request
 * object), so a test hands one in and reads it back, nothing hides in ambient state, and no async-hook cost lands on
 * every request of every handler (bench/ holds the handlers to a CPU budget). The cost is one parameter per style.
 */

/** What the wrapper knows of a request at receipt. */
export interface DeliveryReceipt {
  readonly id: string;
  readonly receivedAtMs: number;
  readonly method: string;
  readonly path: string;
  /** Names lower-cased, as received. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
}

/** The registration a request named, as its style resolved it. */
export interface ResolvedRegistration {
  readonly style: DeliveryStyle;
  readonly registration: string;
  readonly org?: string;
  /** The authenticated API key's id (flow triggers): DeliveryRecord's `apiKeyId`. */
  readonly apiKeyId?: string;
  /** False when the registration turned recording off (`recordDeliveries: false`). */
  readonly record: boolean;
  /** Headers that carry this registration's secret (a shared-secret header): redacted like credentials. */
  readonly secretHeaders?: readonly string[];
  /**
   * The raw body carries a credential (a client webhook's key in its JSON): the record keeps the body's size and
   * SHA-256 only, never its bytes. The raw bytes cannot be redacted and stay raw (a replay is checked against them).
   */
  readonly bodyHoldsCredential?: boolean;
}

/** What a run's input carries to lead back to its delivery (docs/styles/*: the trigger metadata). */
export interface DeliveryRef {
  readonly deliveryId: string;
  readonly correlationId?: string;
}

/** The record a delivery would have if it ended now with `answer`; undefined when it is not to be recorded. */
export type PrepareRecord = (
  delivery: Delivery,
  answer: { readonly status: number },
) => Promise<DeliveryRecord | undefined>;

/** What a dedupe claim is handed to carry the record (StartRunRequest's `dedupe.delivery`). */
export interface ClaimCarrier {
  readonly record: DeliveryRecord;
  carried(byClaim: boolean): void;
}

/** What a style reports into, during one request. */
export class Delivery {
  private registration?: ResolvedRegistration;
  private readonly started: DeliveryRun[] = [];
  private duplicate = false;
  private kept = false;
  private heldByClaim = false;
  readonly correlationId?: string;

  constructor(
    readonly receipt: DeliveryReceipt,
    private readonly prepare?: PrepareRecord,
    /** DELIVERY_RETENTION_DAYS, for a record rebuilt from a queued message (`rebuilt`). */
    private readonly retentionDays?: number,
  ) {
    this.correlationId = correlationIdOf(receipt.headers);
  }

  /**
   * Queue when busy: the record as the fan-out worker writes it if this request's own never is (the handler died
   * after queueing the message, before its answer: docs/deliveries.md). The summary only, so that it fits in the
   * message beside the run input: no headers, and the body's size and SHA-256 (its bytes read as not kept, so such
   * a record is never replayed from a body it lacks). Undefined when nothing is recorded.
   */
  rebuilt(): DeliveryRecord | undefined {
    const registration = this.registration;
    if (this.prepare === undefined || this.retentionDays === undefined || registration?.record !== true) {
      return undefined;
    }
    const { rawBody } = this.receipt;
    const record = recordOf(this, registration, { status: 202 }, this.retentionDays, {
      headers: {},
      body: { bytes: rawBody.length, sha256: sha256Of(rawBody).toString('hex') },
    });
    return { ...record, outcome: 'queued' };
  }

  /**
   * The record for the request's dedupe claim to carry (docs/deliveries.md: the claim is the record), as it will
   * read once the run has started and `status` was answered; undefined when nothing is recorded (no recording
   * wired, no registration resolved, or it opted out). Call it only where `status` is the answer the start gives.
   */
  async forClaim(status: number): Promise<ClaimCarrier | undefined> {
    const record = await this.prepare?.(this, { status });
    if (record === undefined) return undefined;
    return {
      record,
      carried: (byClaim) => {
        this.heldByClaim = byClaim;
      },
    };
  }

  /** Whether this request's record may be written at all (a handler that records): worth a lookup to resolve it. */
  get recording(): boolean {
    return this.prepare !== undefined;
  }

  /** Whether the request's dedupe claim holds its record: then nothing more is written. */
  get carriedByClaim(): boolean {
    return this.heldByClaim;
  }

  get id(): string {
    return this.receipt.id;
  }

  /** The request named a known registration: it will be recorded (unless that registration opted out). */
  resolved(registration: ResolvedRegistration): void {
    this.registration = registration;
  }

  /** A run the request started, or was answered with. */
  ran(run: DeliveryRun): void {
    this.started.push(run);
  }

  /** The request repeated an earlier one and got its run. */
  deduplicated(): void {
    this.duplicate = true;
  }

  /** The engine was busy: the delivery was queued, to start once it has capacity (docs/deliveries.md). */
  queued(): void {
    this.kept = true;
  }

  get wasQueued(): boolean {
    return this.kept;
  }

  /** For the run's input: `deliveryId`, and `correlationId` when the sender sent one. */
  ref(): DeliveryRef {
    return { deliveryId: this.id, ...(this.correlationId === undefined ? {} : { correlationId: this.correlationId }) };
  }

  get resolution(): ResolvedRegistration | undefined {
    return this.registration;
  }

  get runs(): readonly DeliveryRun[] {
    return this.started;
  }

  get wasDuplicate(): boolean {
    return this.duplicate;
  }
}

/** The sender's own id: the first of CORRELATION_HEADERS present, cut to MAX_CORRELATION_ID_LENGTH. */
export function correlationIdOf(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const name of CORRELATION_HEADERS) {
    const value = headers[name];
    if (value !== undefined && value !== '') return value.slice(0, MAX_CORRELATION_ID_LENGTH);
  }
  return undefined;
}

/** Headers as kept: every credential's value (the shared list plus the registration's secret headers) redacted. */
export function redactedHeaders(
  headers: Readonly<Record<string, string | undefined>>,
  credentialHeaders: ReadonlySet<string>,
  secretHeaders: readonly string[] = [],
): Record<string, string> {
  const secret = new Set(secretHeaders.map((name) => name.toLowerCase()));
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    kept[lower] = credentialHeaders.has(lower) || secret.has(lower) ? REDACTED : value;
  }
  return kept;
}

/**
 * What became of the delivery, from its answer and its runs: a 5xx is `failed` (the sender was told to retry);
 * a 4xx with no run `refused`; a 2xx kept for later (the engine was busy) `queued`; otherwise `started`, or
 * `deduplicated` when it repeated an earlier request (a 424 of a client webhook whose run failed started that run).
 */
export function outcomeOf(status: number, duplicate: boolean, ran: boolean, queued = false): DeliveryOutcome {
  if (status >= 500) return 'failed';
  if (status >= 400 && !ran) return 'refused';
  if (queued) return 'queued';
  return duplicate ? 'deduplicated' : 'started';
}

export interface RecorderSettings {
  /** DELIVERY_RETENTION_DAYS */
  readonly retentionDays: number;
  /** DELIVERY_INLINE_BODY_BYTES */
  readonly inlineBodyBytes: number;
}

export interface RecorderDeps {
  readonly log: DeliveryLog;
  /** Where bodies above inlineBodyBytes go; without one, such a body keeps only its size and SHA-256. */
  readonly bodies?: BodyStore;
  readonly logger: Logger;
  /** The shared list of credential headers (functions/http/request.ts), lower-cased. */
  readonly credentialHeaders: ReadonlySet<string>;
}

/** The record of a finished request. */
export async function buildRecord(
  delivery: Delivery,
  registration: ResolvedRegistration,
  answer: { readonly status: number; readonly reason?: string },
  deps: Pick<RecorderDeps, 'bodies' | 'credentialHeaders'>,
  settings: RecorderSettings,
): Promise<DeliveryRecord> {
  const { receipt } = delivery;
  return recordOf(delivery, registration, answer, settings.retentionDays, {
    headers: redactedHeaders(receipt.headers, deps.credentialHeaders, registration.secretHeaders),
    body: await storedBody(
      receipt.id,
      receipt.rawBody,
      registration.bodyHoldsCredential === true ? undefined : deps.bodies,
      registration.bodyHoldsCredential === true ? -1 : settings.inlineBodyBytes,
    ),
  });
}

/** A record of `delivery` as it stands, answered `answer`, with the headers and body as kept. */
function recordOf(
  delivery: Delivery,
  registration: ResolvedRegistration,
  answer: { readonly status: number; readonly reason?: string },
  retentionDays: number,
  kept: Pick<DeliveryRecord, 'headers' | 'body'>,
): DeliveryRecord {
  const { receipt } = delivery;
  return {
    id: receipt.id,
    style: registration.style,
    registration: registration.registration,
    ...(registration.org === undefined ? {} : { org: registration.org }),
    ...(registration.apiKeyId === undefined ? {} : { apiKeyId: registration.apiKeyId }),
    receivedAt: new Date(receipt.receivedAtMs).toISOString(),
    method: receipt.method,
    path: receipt.path,
    outcome: outcomeOf(answer.status, delivery.wasDuplicate, delivery.runs.length > 0, delivery.wasQueued),
    status: answer.status,
    ...(answer.reason === undefined || answer.status < 400 ? {} : { reason: answer.reason }),
    ...(delivery.correlationId === undefined ? {} : { correlationId: delivery.correlationId }),
    runs: [...delivery.runs],
    ...kept,
    expiresAt: Math.floor(receipt.receivedAtMs / 1000) + retentionDays * 86_400,
  };
}

async function storedBody(
  id: string,
  raw: Buffer,
  bodies: BodyStore | undefined,
  inlineBodyBytes: number,
): Promise<StoredBody> {
  const kept = { bytes: raw.length, sha256: sha256Of(raw).toString('hex') };
  if (raw.length <= inlineBodyBytes) return { ...kept, inline: raw.toString('base64') };
  if (bodies === undefined) return kept;
  return { ...kept, s3: await bodies.put(id, raw) };
}

/** A delivery whose record `recordDelivery` will write with these deps and settings. */
export function newDelivery(
  receipt: DeliveryReceipt,
  recording?: {
    readonly deps: Pick<RecorderDeps, 'bodies' | 'credentialHeaders'>;
    readonly settings: RecorderSettings;
  },
): Delivery {
  if (recording === undefined) return new Delivery(receipt);
  return new Delivery(
    receipt,
    async (delivery, answer) => {
      const registration = delivery.resolution;
      if (registration === undefined || !registration.record) return undefined;
      // For a claim to carry: a record that cannot be built (its body store failed) leaves the claim without one,
      // and the request goes on; the recorder tries again once the answer is known.
      return buildRecord(delivery, registration, answer, recording.deps, recording.settings).catch(() => undefined);
    },
    recording.settings.retentionDays,
  );
}

/**
 * Writes the record of a finished request, once, unless its dedupe claim carries it: only when it named a known
 * registration that records (else one log line, `delivery not recorded`, which counts it). A record that cannot be
 * written changes nothing of the answer: the failure is logged with the delivery id and the reason, never the body
 * or a header.
 */
export async function recordDelivery(
  delivery: Delivery,
  answer: { readonly status: number; readonly reason?: string },
  deps: RecorderDeps,
  settings: RecorderSettings,
): Promise<void> {
  const registration = delivery.resolution;
  if (registration === undefined) {
    deps.logger.info('delivery not recorded', { deliveryId: delivery.id, reason: 'unknown registration' });
    return;
  }
  if (!registration.record || delivery.carriedByClaim) return;
  try {
    const written = await deps.log.put(await buildRecord(delivery, registration, answer, deps, settings));
    // The fan-out worker wrote it first (started, with its run), from the queued message: that record stays.
    if (!written) deps.logger.info('delivery record kept as the worker wrote it', { deliveryId: delivery.id });
  } catch (error) {
    deps.logger.warn('delivery not recorded', {
      deliveryId: delivery.id,
      reason: (error as Error).name === 'Error' ? 'record write failed' : (error as Error).name,
    });
  }
}
