import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import { request } from '../../test/support/local-stack';
import { log } from '../lib/log';
import { type BenchStack, type CallCounts, diffCounts } from '../lib/stack';
import { median, round } from '../lib/stats';

export const FANOUT_SETTINGS = { items: 1000, runs: 3, timeoutSeconds: 120 } as const;

export interface FanoutRun {
  readonly items: number;
  readonly requestBytes: number;
  readonly status: number;
  /** POST sent -> 202 received, ms (through the local gateway). */
  readonly acceptedMs: number;
  /** POST sent -> the last of the items' StartExecution calls answered, ms. */
  readonly allStartedMs: number;
  /** Calls the stack made for this batch, from the POST until every run had started. */
  readonly calls: Record<string, { calls: number; entries: number }>;
  /** Executions of the inbound workflow the local Step Functions endpoint lists after the run, minus before. */
  readonly executionsListed: number;
  /** A sample of run references resolved with GET /inbound/runs/{runRef}: how many were STARTED. */
  readonly sampledRunRefsStarted: string;
}

export interface FanoutResult {
  readonly settings: typeof FANOUT_SETTINGS;
  readonly runs: FanoutRun[];
  readonly acceptedMsMedian: number;
  readonly allStartedMsMedian: number;
}

const startedOk = (counts: CallCounts) => counts['SFN.StartExecution']?.ok ?? 0;

async function countExecutions(sfn: SFNClient, stateMachineArn: string): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }));
    count += page.executions?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return count;
}

/**
 * 4. Batch fan-out: POST /inbound with a 1,000-item batch through the local gateway; time to its 202, and
 * to every item's execution started (the stack's own count of answered StartExecution calls, written by the
 * preloaded counter), with the SQS calls made on the way.
 */
export async function runFanout(stack: BenchStack): Promise<FanoutResult> {
  const sfn = new SFNClient({
    endpoint: stack.sfnEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    disableHostPrefix: true,
  });
  const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({ maxResults: 1000 }));
  const arn = stateMachines.find((m) => m.name === 'hookflow-inbound-echo')?.stateMachineArn;
  if (arn === undefined) throw new Error('no hookflow-inbound-echo on the local stack');

  // A small batch first: the first batch pays for warming the inbound handler and the fan-out worker.
  const warm = await request(`${stack.url}/inbound`, {
    method: 'POST',
    headers: { 'inbound-webhook-secret': 'hf_local_inbound_secret' },
    body: JSON.stringify({ workflow: 'workflow name', batch: [{ uid: `bench-warm-${randomUUID()}` }] }),
  });
  if (warm.status !== 202) throw new Error(`inbound batch answered ${warm.status}: ${warm.text}`);
  await new Promise((r) => setTimeout(r, 1500));

  const runs: FanoutRun[] = [];
  for (let r = 0; r < FANOUT_SETTINGS.runs; r++) {
    const prefix = `bench-${randomUUID()}`;
    const body = JSON.stringify({
      workflow: 'workflow name',
      batch: Array.from({ length: FANOUT_SETTINGS.items }, (_, i) => ({ uid: `${prefix}-${i}` })),
    });
    const listedBefore = await countExecutions(sfn, arn);
    const before = await stack.counts({ newerThan: Date.now() });
    log(
      'fanout',
      `run ${r + 1}/${FANOUT_SETTINGS.runs}: POST /inbound with ${FANOUT_SETTINGS.items} items (${body.length} bytes)`,
    );
    const sent = Date.now();
    const t0 = performance.now();
    const answer = await request(`${stack.url}/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'inbound-webhook-secret': 'hf_local_inbound_secret' },
      body,
    });
    const acceptedMs = performance.now() - t0;
    if (answer.status !== 202) throw new Error(`batch answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    log('fanout', `  202 after ${acceptedMs.toFixed(0)} ms; waiting for ${FANOUT_SETTINGS.items} executions to start`);

    const deadline = Date.now() + FANOUT_SETTINGS.timeoutSeconds * 1000;
    let after = await stack.counts({ newerThan: Date.now() });
    while (startedOk(after.counts) - startedOk(before.counts) < FANOUT_SETTINGS.items) {
      if (Date.now() > deadline) {
        throw new Error(`only ${startedOk(after.counts) - startedOk(before.counts)} runs started in time`);
      }
      await new Promise((res) => setTimeout(res, 100));
      after = await stack.counts({ newerThan: after.at });
    }
    const allStartedMs = after.counts['SFN.StartExecution']!.lastOkAt - sent;
    log('fanout', `  all ${FANOUT_SETTINGS.items} started after ${allStartedMs} ms`);

    const entries = (answer.body as { batch: { runRef: string }[] }).batch;
    const sample = [0, 1, 250, 500, 750, 998, 999].map((i) => entries[i]!.runRef);
    let started = 0;
    for (const runRef of sample) {
      const status = await request(`${stack.url}/inbound/runs/${runRef}`, {
        headers: { 'inbound-webhook-secret': 'hf_local_inbound_secret' },
      });
      if ((status.body as { status?: string }).status === 'STARTED') started++;
    }
    runs.push({
      items: FANOUT_SETTINGS.items,
      requestBytes: Buffer.byteLength(body),
      status: answer.status,
      acceptedMs: round(acceptedMs, 1),
      allStartedMs,
      calls: diffCounts(before.counts, after.counts),
      executionsListed: (await countExecutions(sfn, arn)) - listedBefore,
      sampledRunRefsStarted: `${started}/${sample.length}`,
    });
    await new Promise((res) => setTimeout(res, 1000));
  }
  sfn.destroy();
  return {
    settings: FANOUT_SETTINGS,
    runs,
    acceptedMsMedian: round(median(runs.map((r) => r.acceptedMs)), 1),
    allStartedMsMedian: round(median(runs.map((r) => r.allStartedMs)), 1),
  };
}
