/**
 * Crash points for the crash suite (test/faults/): `HOOKFLOW_CRASH_AT=<point>[:<n>]` makes the process kill
 * itself with SIGKILL the n-th time (default: the first) it reaches `crashPoint(<point>)`, exactly as a host
 * dying between two writes would. Read once at cold start; unset (always, in AWS) it costs one comparison.
 *
 * Never armed inside AWS Lambda (AWS_EXECUTION_ENV is set there): a stray variable must not turn a deployed
 * function into a crash test.
 */
export const CRASH_POINTS = [
  /** A dedupe claim is written; the run is not started yet (core/runs/start-run.ts). */
  'dedupe-claimed',
  /** The run has started; its dedupe claim does not record it yet (core/runs/start-run.ts). */
  'run-started',
  /** A large body is stored in S3; nothing is claimed or started yet (core/runs/claim-check.ts). */
  'body-stored',
  /** A callback claimed its waiting task; SendTaskSuccess/Failure not yet sent (styles/events/resume-task.ts). */
  'callback-claimed',
  /** Some of a batch's SendMessageBatch calls are done, not all (adapters/aws/sqs-work-queue.ts). */
  'batch-chunk-sent',
  /** A fan-out worker started an item's run; SQS has not deleted its message (styles/inbound/fanout-worker.ts). */
  'fanout-item-started',
  /** A busy fan-out item was sent back to the queue, delayed; SQS has not deleted the original (fanout-worker.ts). */
  'fanout-item-requeued',
  /** A busy engine's delivery is queued to start later; its 202 `queued` is not answered yet (queue-when-busy). */
  'busy-delivery-queued',
  /** A webhook's new secret is stored; the answer that shows it once is not sent (registered-webhooks). */
  'secret-rotated',
] as const;

export type CrashPointName = (typeof CRASH_POINTS)[number];

export interface ArmedCrash {
  readonly point: CrashPointName;
  readonly hit: number;
}

/** Parses HOOKFLOW_CRASH_AT; an unknown point name fails fast (a typo would silently test nothing). */
export function parseCrashAt(env: Record<string, string | undefined>): ArmedCrash | undefined {
  const raw = env.HOOKFLOW_CRASH_AT;
  if (raw === undefined || raw === '' || env.AWS_EXECUTION_ENV !== undefined) return undefined;
  const match = /^([a-z-]+)(?::([1-9]\d*))?$/.exec(raw);
  const point = CRASH_POINTS.find((name) => name === match?.[1]);
  if (match === null || point === undefined) {
    throw new Error(`HOOKFLOW_CRASH_AT must be <point>[:<n>] with point one of ${CRASH_POINTS.join(', ')}`);
  }
  return { point, hit: match[2] === undefined ? 1 : Number(match[2]) };
}

const armed = parseCrashAt(process.env);
let hits = 0;

/** Kills this process (SIGKILL: no cleanup, no flush) the n-th time the armed point is reached. */
export function crashPoint(name: CrashPointName): void {
  if (armed === undefined || armed.point !== name) return;
  hits += 1;
  if (hits === armed.hit) process.kill(process.pid, 'SIGKILL');
}
