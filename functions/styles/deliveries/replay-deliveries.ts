import { withinReach } from '../../core/deliveries/access';
import { newDeliveryId } from '../../core/deliveries/ids';
import type { Reach } from '../../core/deliveries/listing';
import type { DeliveryFilter } from '../../core/deliveries/query';
import { filterView } from '../../core/deliveries/query';
import type { DeliveryRecord, DeliveryRun, DeliveryStyle } from '../../core/deliveries/record';
import {
  MAX_BULK_REPLAY,
  type PlannedStart,
  type ReplayBody,
  type ReplayMode,
  type StyleReplayer,
  assertReplayable,
  notReplayableReason,
  ifNoRunSkipReason,
  originalOf,
  replayKey,
} from '../../core/deliveries/replay';
import {
  ConflictError,
  DomainError,
  GoneError,
  InvalidInputError,
  TooLargeError,
  UnsupportedContentError,
} from '../../core/outcomes';
import { startedRunOf } from '../../core/runs/dedupe-claim';
import type { StartedRun } from '../../core/runs/start-run';
import { replayClientWebhook } from '../client-webhook/replay';
import { replayEvents } from '../events/replay';
import { replayFlowTrigger } from '../flow-trigger/replay';
import { replayInbound } from '../inbound/replay';
import { replayRegisteredWebhook } from '../registered-webhooks/replay';
import type { DeliveriesDeps } from './deps';
import { rawBodyOf } from './show-delivery';
import {
  STEP_FUNCTIONS_MAX_INPUT_BYTES,
  fitsRunInput,
  runInputBytes,
  withoutBodyStore,
} from '../../core/runs/claim-check';

/** Each style's replay (functions/styles/<style>/replay.ts): the run input built as the style builds it. */
const replayers: Readonly<Record<DeliveryStyle, StyleReplayer>> = {
  'flow-trigger': replayFlowTrigger,
  'client-webhook': replayClientWebhook,
  inbound: replayInbound,
  events: replayEvents,
  'registered-webhooks': replayRegisteredWebhook,
};

export interface ReplayOptions {
  readonly mode: ReplayMode;
  readonly dryRun: boolean;
}

export interface RunLink {
  readonly executionArn: string;
  readonly executionLink: string;
}

/** What became of one delivery's replay (docs/deliveries.md, "Replay"). */
export interface ReplayAnswer {
  readonly deliveryId: string;
  readonly outcome: 'started' | 'deduplicated' | 'skipped' | 'would-start' | 'error';
  readonly reason?: string;
  readonly error?: string;
  /** The replay's own delivery id (its record), when it started or was deduplicated. */
  readonly replay?: string;
  readonly runs?: readonly RunLink[];
}

/** One part of a plan: start it, or it already ran (the original) or was already replayed (`executionArn`). */
type PlannedPart = PlannedStart & { readonly status: 'start' | 'ran' | 'replayed'; readonly executionArn?: string };

type Plan = { readonly skip: string } | { readonly parts: readonly PlannedPart[] };

/** POST /api/deliveries/{id}/replay. Throws the 404/409/410/503 the docs list; otherwise says what became of it. */
export async function replayDelivery(
  deps: DeliveriesDeps,
  reach: Reach,
  id: string,
  options: ReplayOptions,
): Promise<ReplayAnswer> {
  const record = withinReach(id, await deps.log.get(id), reach);
  const plan = await planReplay(deps, record, options.mode);
  if ('skip' in plan) return { deliveryId: id, outcome: 'skipped', reason: plan.skip };
  const toStart = plan.parts.filter((part) => part.status === 'start');
  if (options.dryRun) {
    return toStart.length > 0
      ? { deliveryId: id, outcome: 'would-start' }
      : { deliveryId: id, outcome: 'skipped', reason: nothingToStart(plan.parts) };
  }
  if (toStart.length === 0 && !plan.parts.some((part) => part.status === 'replayed')) {
    return { deliveryId: id, outcome: 'skipped', reason: nothingToStart(plan.parts) };
  }
  return executeReplay(deps, record, plan.parts, options.mode);
}

export interface BulkReplayRequest extends ReplayOptions {
  readonly filter: DeliveryFilter;
  /** Required when not a dry run: the `wouldStart` of this page's dry run. */
  readonly expect?: number;
  readonly cursor?: string;
}

/**
 * POST /api/deliveries/replay: one page (at most MAX_BULK_REPLAY) of the deliveries the filter matches, each
 * planned as one replay is; a dry run answers the count, a real call starts them only if the count is still the
 * `expect` it was given (409 otherwise, nothing started). One delivery's error never fails the others.
 */
export async function bulkReplay(deps: DeliveriesDeps, reach: Reach, request: BulkReplayRequest) {
  const page = await deps.log.list({
    ...request.filter,
    ...reach,
    limit: MAX_BULK_REPLAY,
    ...(request.cursor === undefined ? {} : { cursor: request.cursor }),
  });
  const originals = new Map<string, string>();
  const planned = [];
  for (const summary of page.items) {
    const record = await deps.log.get(summary.id);
    if (record === undefined) {
      planned.push({ answer: skipped(summary.id, 'expired since it was listed') });
      continue;
    }
    const refused = notReplayableReason(record);
    if (refused !== undefined) {
      planned.push({ answer: skipped(record.id, refused) });
      continue;
    }
    // In if-no-run, a delivery and its replays claim one key: only the first of them in a page counts.
    const original = originalOf(record);
    const first = originals.get(original);
    if (request.mode === 'if-no-run' && first !== undefined) {
      planned.push({ answer: skipped(record.id, `replays the same original as ${first}`) });
      continue;
    }
    originals.set(original, record.id);
    try {
      const plan = await planReplay(deps, record, request.mode);
      if ('skip' in plan) planned.push({ answer: skipped(record.id, plan.skip) });
      else if (!plan.parts.some((part) => part.status === 'start')) {
        planned.push({ answer: skipped(record.id, nothingToStart(plan.parts)) });
      } else planned.push({ answer: { deliveryId: record.id, outcome: 'would-start' as const }, record, plan });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      planned.push({ answer: errored(record.id, error) });
    }
  }
  const wouldStart = planned.filter((p) => p.answer.outcome === 'would-start').length;
  const base = {
    filter: filterView(request.filter),
    mode: request.mode,
    dryRun: request.dryRun,
    matched: page.items.length,
    wouldStart,
    ...(page.next === undefined ? {} : { next: page.next }),
  };
  if (request.dryRun) return { ...base, deliveries: planned.map((p) => p.answer) };
  if (request.expect !== wouldStart) {
    throw new ConflictError(
      `expected ${request.expect} replays to start, ${wouldStart} would now: dry-run this page again and pass its wouldStart as expect`,
    );
  }
  const deliveries: ReplayAnswer[] = [];
  for (const p of planned) {
    if (p.record === undefined || !('parts' in p.plan)) {
      deliveries.push(p.answer);
      continue;
    }
    try {
      deliveries.push(await executeReplay(deps, p.record, p.plan.parts, request.mode));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      deliveries.push(errored(p.record.id, error));
    }
  }
  return { ...base, started: deliveries.filter((d) => d.outcome === 'started').length, deliveries };
}

/**
 * Most runs one replay starts at once: an inbound batch may hold MAX_BATCH_ITEMS (1,000) items, and starting them
 * all together would spend Step Functions' StartExecution bucket (docs/scale.md) in one burst.
 */
export const REPLAY_START_CONCURRENCY = 10;

/** `fn` over `items`, at most `width` at a time, each settled (one failure never stops the others). */
async function settleInWaves<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const settled: PromiseSettledResult<R>[] = [];
  for (let i = 0; i < items.length; i += width) {
    settled.push(...(await Promise.allSettled(items.slice(i, i + width).map(fn))));
  }
  return settled;
}

const skipped = (deliveryId: string, reason: string): ReplayAnswer => ({ deliveryId, outcome: 'skipped', reason });
const errored = (deliveryId: string, error: DomainError): ReplayAnswer => ({
  deliveryId,
  outcome: 'error',
  error: error.message,
});

function nothingToStart(parts: readonly PlannedPart[]): string {
  if (parts.length === 0) return 'its registration starts no workflow now';
  const replayed = parts.flatMap((part) => (part.executionArn === undefined ? [] : [part.executionArn]));
  if (replayed.length > 0) return `already started since (by a replay or the sender's retry): ${replayed.join(', ')}`;
  return 'the original already started every run it makes';
}

/**
 * What a replay would start: nothing for a refused delivery (409) or, in if-no-run, one whose original ran;
 * otherwise the style's runs from the kept raw body (410 once it is gone), each part marked already run (by the
 * original) or already replayed (its if-no-run key is claimed: an earlier replay's run).
 */
async function planReplay(deps: DeliveriesDeps, record: DeliveryRecord, mode: ReplayMode): Promise<Plan> {
  assertReplayable(record);
  if (mode === 'if-no-run') {
    const skip = ifNoRunSkipReason(record);
    if (skip !== undefined) return { skip };
  }
  const raw = await rawBodyOf(deps, record);
  if (raw === undefined) throw new GoneError(`the body of delivery "${record.id}" is no longer kept`);
  let starts: readonly PlannedStart[];
  try {
    starts = await replayers[record.style](deps, record, raw);
  } catch (error) {
    // The body was accepted once; if the style's parser refuses it now, that is the replay's conflict, not a 400.
    if (
      error instanceof InvalidInputError ||
      error instanceof TooLargeError ||
      error instanceof UnsupportedContentError
    ) {
      throw new ConflictError(`delivery "${record.id}" cannot be replayed: ${error.message}`);
    }
    throw error;
  }
  const parts = await Promise.all(
    starts.map(async (start): Promise<PlannedPart> => {
      if (mode === 'force') return { ...start, status: 'start' };
      if (start.alreadyRan === true) return { ...start, status: 'ran' };
      const claim = await deps.dedupe.get(start.dedupe?.key ?? replayKey(record, mode, '', start.part), deps.now());
      // A claim whose run has not started (its owner is still starting it, or died) is no run yet: the start goes
      // through the run starter, which waits for that owner's run or takes a dead owner's claim over.
      const run = claim === undefined ? undefined : await startedRunOf(claim, deps.engine, deps.dedupe);
      return run === undefined
        ? { ...start, status: 'start' }
        : { ...start, status: 'replayed', executionArn: run.executionArn };
    }),
  );
  return { parts };
}

/**
 * Starts a plan's parts under their replay keys (if-no-run: the same key for every replay of an original, so
 * concurrent replays start one run between them), then records the replay as a delivery of its own. Parts an
 * earlier replay started are answered with that run, not started again.
 */
async function executeReplay(
  deps: DeliveriesDeps,
  record: DeliveryRecord,
  parts: readonly PlannedPart[],
  mode: ReplayMode,
): Promise<ReplayAnswer> {
  const replayId = newDeliveryId(deps.now());
  const toStart = parts.filter((part) => part.status === 'start');
  // Every input first (a large one claim-checked: one PutObject), then the starts: a body store that is down, or a
  // body too large even for it, leaves nothing claimed and nothing started (503 or 413), as on the style's route.
  const inputs = await replayInputs(deps, toStart, { deliveryId: replayId, replayOf: record.id });
  const settled = await settleInWaves(
    toStart.map((part, i) => ({ part, input: inputs[i] })),
    REPLAY_START_CONCURRENCY,
    ({ part, input }) =>
      deps.startReplay({
        target: part.target,
        input,
        dedupe:
          mode === 'if-no-run' && part.dedupe !== undefined
            ? part.dedupe
            : { key: replayKey(record, mode, replayId, part.part), fingerprint: record.body.sha256 },
      }),
  );
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  const earlier = parts.flatMap((part) => (part.status === 'replayed' ? [part.executionArn!] : []));
  const runs: DeliveryRun[] = [
    ...started.map((s: StartedRun) => ({ executionArn: s.run.executionArn })),
    ...earlier.map((executionArn) => ({ executionArn })),
  ];
  const anyNew = started.some((s) => !s.replayed);
  const outcome = failures.length > 0 && runs.length === 0 ? 'failed' : anyNew ? 'started' : 'deduplicated';
  const failure = failures[0];
  const reason =
    failure === undefined
      ? undefined
      : `${failures.length} of ${toStart.length} runs did not start: ${failure instanceof DomainError ? failure.message : 'internal error'}`;
  await recordReplay(deps, record, replayId, {
    outcome,
    status: outcome === 'failed' ? 503 : outcome === 'started' ? 202 : 200,
    runs,
    ...(reason === undefined ? {} : { reason }),
  });
  if (outcome === 'failed') throw failure;
  return {
    deliveryId: record.id,
    outcome,
    replay: replayId,
    runs: runs.map((run) => ({
      executionArn: run.executionArn!,
      executionLink: deps.executionLink(run.executionArn!),
    })),
    ...(reason === undefined ? {} : { reason }),
  };
}

/**
 * The run inputs of a replay's parts, marked with the replay's id and the delivery it replays. A style that
 * claim-checks (`part.body`) gets its input through the claim-check, as its route does: inline when it fits Step
 * Functions' limit, else a reference to a **fresh** stored object (never the delivery record's own object: that one
 * holds the raw request, which is not always what the run gets, and expires with the original's retention, while a
 * replayed run may start days later and must find its body for a whole retention from its own start). Parts
 * sharing one `body` (a registered webhook's bound workflows) share one object, as the trigger's runs do. Without
 * a body store, or for a style that never claim-checks (inbound), an input over the limit is 413.
 */
async function replayInputs(
  deps: DeliveriesDeps,
  parts: readonly PlannedPart[],
  mark: { readonly deliveryId: string; readonly replayOf: string },
): Promise<readonly Readonly<Record<string, unknown>>[]> {
  const claimCheck = deps.claimCheck ?? withoutBodyStore;
  const checked = new Map<ReplayBody, Promise<Readonly<Record<string, unknown>>>>();
  return Promise.all(
    parts.map(async (part) => {
      const { body } = part;
      if (body === undefined) {
        const input = { ...part.input, ...mark };
        if (!fitsRunInput(input)) {
          throw new TooLargeError(
            `the replayed run input would be ${runInputBytes(input)} bytes; Step Functions accepts at most ${STEP_FUNCTIONS_MAX_INPUT_BYTES}`,
          );
        }
        return input;
      }
      let input = checked.get(body);
      if (input === undefined) {
        input = claimCheck({
          payload: body.payload,
          build: (payload) => ({ ...body.build(payload), ...mark }),
          raw: body.raw,
          ...(body.contentType === undefined ? {} : { contentType: body.contentType }),
        });
        checked.set(body, input);
      }
      return input;
    }),
  );
}

/**
 * The replay as a delivery of its own: the original's style, registration, headers and body (the same bytes,
 * not a copy), `replayOf` naming it. Like every record, it never fails the request it records: a replay whose
 * runs started is answered as started, and the lost record is logged (docs/deliveries.md).
 */
async function recordReplay(
  deps: DeliveriesDeps,
  original: DeliveryRecord,
  replayId: string,
  result: Pick<DeliveryRecord, 'outcome' | 'status' | 'runs' | 'reason'>,
): Promise<void> {
  const now = deps.now();
  const record: DeliveryRecord = {
    id: replayId,
    style: original.style,
    registration: original.registration,
    ...(original.org === undefined ? {} : { org: original.org }),
    // The sender's key, so that an if-no-run replay of this replay claims the sender's Idempotency-Key too.
    ...(original.apiKeyId === undefined ? {} : { apiKeyId: original.apiKeyId }),
    receivedAt: new Date(now).toISOString(),
    // The request it replays, as received (a replay of this replay parses it the same way).
    method: original.method,
    path: original.path,
    ...result,
    ...(original.correlationId === undefined ? {} : { correlationId: original.correlationId }),
    headers: original.headers,
    body: original.body,
    replayOf: original.id,
    expiresAt: Math.floor(now / 1000) + deps.retentionDays * 24 * 60 * 60,
  };
  try {
    await deps.log.put(record);
  } catch (error) {
    deps.logger.error('delivery not recorded', { deliveryId: replayId, reason: 'replay', error: error as Error });
  }
}
