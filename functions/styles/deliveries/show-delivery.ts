import { type Reach } from '../../core/deliveries/listing';
import { withinReach } from '../../core/deliveries/access';
import type { DeliveryRecord, DeliveryRun } from '../../core/deliveries/record';
import { InvalidInputError } from '../../core/outcomes';
import { resolveRunRef } from '../inbound/run-status';
import type { DeliveriesDeps } from './deps';

/** A run as GET /api/deliveries/{id} shows it: its status read now, or why it cannot be. */
export interface RunView {
  readonly executionArn?: string;
  /** A guarded Express run read past its guard item's TTL: its name only, no ARN, so no link. */
  readonly executionName?: string;
  readonly executionLink?: string;
  readonly runRef?: string;
  readonly status: string;
  readonly statusNote?: string;
  readonly startDate?: string;
  readonly stopDate?: string;
}

export type BodyView =
  | { readonly bytes: number; readonly sha256: string; readonly kept: false }
  | {
      readonly bytes: number;
      readonly sha256: string;
      readonly kept: true;
      readonly encoding: 'utf8' | 'base64';
      readonly text?: string;
      readonly base64?: string;
    };

/**
 * Express executions cannot be described: "Executions of an EXPRESS state machine aren't supported by
 * DescribeExecution unless a Map Run dispatched them"
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html), and IAM grants
 * DescribeExecution on Standard execution ARNs only. Said, rather than a status made up.
 */
export const EXPRESS_STATUS_NOTE =
  "an Express run's status cannot be read from Step Functions (DescribeExecution serves Standard runs only): see the state machine's CloudWatch Logs";

/**
 * A guarded Express run read after its dedupe window (core/deliveries/guarded-runs.ts): the guard's item that held
 * its ARN has expired, and an Express execution's ARN holds an id AWS picks, so only the name is known.
 */
export const EXPIRED_GUARD_NOTE =
  "an Express run known by its execution name only (its run guard's item, which held the ARN, expired with the dedupe window): search the state machine's CloudWatch Logs for the name";

const isExpress = (executionArn: string) => /^arn:[^:]+:states:[^:]+:[^:]+:express:/.test(executionArn);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The raw bytes of a delivery's body, or undefined when they are no longer kept. */
export async function rawBodyOf(deps: DeliveriesDeps, record: DeliveryRecord): Promise<Buffer | undefined> {
  if (record.body.inline !== undefined) return Buffer.from(record.body.inline, 'base64');
  if (record.body.s3 !== undefined) return deps.bodies?.get(record.body.s3);
  return record.body.bytes === 0 ? Buffer.alloc(0) : undefined;
}

/** GET /api/deliveries/{id}: the record, its body decoded, each run's status read now. */
export async function showDelivery(deps: DeliveriesDeps, reach: Reach, id: string) {
  const record = withinReach(id, await deps.log.get(id), reach);
  const [raw, runs] = await Promise.all([
    rawBodyOf(deps, record),
    Promise.all(record.runs.map((r) => runView(deps, r))),
  ]);
  const { body, ...rest } = record;
  return { ...rest, body: bodyView(body, raw), runs };
}

function bodyView(body: DeliveryRecord['body'], raw: Buffer | undefined): BodyView {
  const { bytes, sha256 } = body;
  if (raw === undefined) return { bytes, sha256, kept: false };
  try {
    return { bytes, sha256, kept: true, encoding: 'utf8', text: utf8.decode(raw) };
  } catch {
    return { bytes, sha256, kept: true, encoding: 'base64', base64: raw.toString('base64') };
  }
}

async function runView(deps: DeliveriesDeps, run: DeliveryRun): Promise<RunView> {
  const runRef = run.runRef === undefined ? {} : { runRef: run.runRef };
  let executionArn = run.executionArn;
  if (executionArn === undefined && run.runRef !== undefined) {
    // As GET /inbound/runs/{runRef} resolves it: the item's claim names its run once the worker started it.
    let resolved: Awaited<ReturnType<typeof resolveRunRef>>;
    try {
      resolved = await resolveRunRef(deps.dedupe, run.runRef, deps.now());
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      return { ...runRef, status: 'UNKNOWN', statusNote: 'not a run reference' };
    }
    if (resolved.status !== 'STARTED') return { ...runRef, status: resolved.status };
    executionArn = resolved.executionArn;
  }
  if (executionArn === undefined && run.executionName !== undefined) {
    return { ...runRef, executionName: run.executionName, status: 'UNKNOWN', statusNote: EXPIRED_GUARD_NOTE };
  }
  if (executionArn === undefined) {
    return { ...runRef, status: 'UNKNOWN', statusNote: 'the run started, but its execution was not recorded' };
  }
  const link = { ...runRef, executionArn, executionLink: deps.executionLink(executionArn) };
  if (isExpress(executionArn)) return { ...link, status: 'UNKNOWN', statusNote: EXPRESS_STATUS_NOTE };
  try {
    const described = await deps.engine.describe(executionArn);
    return {
      ...link,
      status: described.status,
      ...(described.startDate === undefined ? {} : { startDate: described.startDate }),
      ...(described.stopDate === undefined ? {} : { stopDate: described.stopDate }),
    };
  } catch (error) {
    deps.logger.warn('could not describe a delivery run', { executionArn, error: error as Error });
    return {
      ...link,
      status: 'UNKNOWN',
      statusNote: 'Step Functions could not describe this run now (busy, or past its retention): try again later',
    };
  }
}
