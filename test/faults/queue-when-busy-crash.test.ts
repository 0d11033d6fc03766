import { type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import {
  CrashingStack,
  SEED,
  countRuns,
  mayBeCut,
  report,
  request,
  retryUntil,
  stateMachineArn,
  summarize,
} from './crash-support';

jest.setTimeout(420_000);

const SECRET = { 'inbound-webhook-secret': 'hf_local_inbound_secret', 'content-type': 'application/json' };
const ECHO = stateMachineArn('hookflow-inbound-echo');
const EVENT_ECHO = stateMachineArn('hookflow-event-echo');
const DEV_KEY = { authorization: 'Bearer hf_local_dev_key' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Queue when busy (docs/deliveries.md): the engine refuses every start, so inbound deliveries of `workflow name`
 * (whenBusy: queue, an Express workflow) are kept on the fan-out queue. The stack dies right after a delivery's
 * message is sent, before its 202 (`busy-delivery-queued`): once with a keyed delivery, whose sender retries the cut
 * request, once with an unkeyed one, whose sender never retries (it cannot know it was kept). Then the engine is
 * busy for a while longer (more deliveries are queued, none retried) and free again. Every delivery runs exactly
 * once: the crashed ones too, the keyed one whatever the order of its retry and its queued start.
 */
describe('crash after a busy delivery is queued, before its answer; then the engine busy and free again', () => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());
  const LATER = 6;

  it('runs every delivery exactly once, none lost', async () => {
    const post = (body: unknown) =>
      request(`${stack.stack.url}/inbound`, { method: 'POST', headers: SECRET, body: JSON.stringify(body) });
    const keyed = { workflow: 'workflow name', uid: `qwb-${SEED}-crash`, stateValues: { n: 'keyed-crash' } };

    // Act 1: a keyed delivery, cut by the crash; its sender retries once the stack is back
    await stack.start('busy-delivery-queued:1', { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '100000' });
    const keyedFirst = await mayBeCut(() => post(keyed));
    await stack.crashed();
    // Act 2: an unkeyed delivery, cut by the crash; its sender never retries
    await stack.start('busy-delivery-queued:1', { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '100000' });
    const unkeyedCorrelation = `qwb-${SEED}-unkeyed-crash`;
    const unkeyedFirst = await mayBeCut(() =>
      request(`${stack.stack.url}/inbound`, {
        method: 'POST',
        headers: { ...SECRET, 'x-correlation-id': unkeyedCorrelation },
        body: JSON.stringify({ workflow: 'workflow name', stateValues: { n: 'unkeyed-crash' } }),
      }),
    );
    await stack.crashed();
    // Act 3: busy for a while longer (the SDK's 3 attempts per start), then free
    await stack.start(undefined, { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '30', FANOUT_BUSY_BACKOFF_SECONDS: '1' });
    const retried = await retryUntil(
      () => post(keyed),
      (s) => s === 202,
    );
    const later = [];
    for (let i = 0; i < LATER; i++) {
      later.push(
        await post(
          i % 2 === 0
            ? { workflow: 'workflow name', stateValues: { n: `later-${i}` } }
            : { workflow: 'workflow name', uid: `qwb-${SEED}-later-${i}`, stateValues: { n: `later-${i}` } },
        ),
      );
    }

    // Assert: 2 + LATER deliveries, each one run (names: a keyed one's from its claim, an unkeyed one's from its
    // delivery), the run guard ending any second start of a name
    const deliveries = 2 + LATER;
    const sfn = stack.sfn();
    const names = await settledNames(stack, ECHO, deliveries);
    const summary = summarize((await countRuns(sfn, ECHO, [...names])).values());
    sfn.destroy();
    // The cut unkeyed delivery's record was never written by its handler: the worker wrote it, started.
    const lostRecord = await recordsOf(stack, unkeyedCorrelation);
    report({
      scenario: 'queue-when-busy',
      seed: SEED,
      kill: 'busy-delivery-queued:1 (keyed, retried), busy-delivery-queued:1 (unkeyed, never retried)',
      kills: stack.kills,
      deliveries,
      keyedFirst: keyedFirst === 'cut' ? 'cut' : keyedFirst.status,
      unkeyedFirst: unkeyedFirst === 'cut' ? 'cut' : unkeyedFirst.status,
      ...summary,
    });
    expect([keyedFirst, unkeyedFirst]).toEqual(['cut', 'cut']);
    expect(retried.status).toBe(202);
    expect(later.map((answer) => answer.status)).toEqual(Array.from({ length: LATER }, () => 202));
    expect(names.size).toBe(deliveries);
    expect(summary).toMatchObject({ ranOnce: deliveries, ranTwice: 0, lost: 0 });
    expect(lostRecord).toEqual([expect.objectContaining({ style: 'inbound', outcome: 'started', status: 202 })]);
  });
});

/**
 * The same for event workflows by ref (`order-echo`, Express, whenBusy: queue): the stack dies after the message is
 * sent, before the 202, once for an unkeyed delivery never retried (the delivery names its run; its record is
 * written by the worker) and once for a keyed one (its claim kept), whose sender retries. One run each.
 */
describe('crash after a busy event-workflow delivery is queued, before its answer', () => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());

  it('runs each delivery exactly once, none lost, and the never-answered one is recorded started', async () => {
    const fire = (headers: Record<string, string>) =>
      request(`${stack.stack.url}/api/v2/webhook?ref=order-echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ seed: SEED }),
      });
    const correlation = `qwb-${SEED}-event-crash`;
    const keyed = { 'idempotency-key': `qwb-${SEED}-event-keyed` };

    // Act: an unkeyed delivery cut by the crash, never retried; a keyed one cut, retried once the stack is back
    await stack.start('busy-delivery-queued:1', { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '100000' });
    const unkeyedFirst = await mayBeCut(() => fire({ 'x-correlation-id': correlation }));
    await stack.crashed();
    await stack.start('busy-delivery-queued:1', { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '100000' });
    const keyedFirst = await mayBeCut(() => fire(keyed));
    await stack.crashed();
    await stack.start(undefined, { FANOUT_BUSY_BACKOFF_SECONDS: '1' });
    const retried = await retryUntil(
      () => fire(keyed),
      (s) => s === 202,
    );
    const sfn = stack.sfn();
    const names = await settledNames(stack, EVENT_ECHO, 2);
    const summary = summarize((await countRuns(sfn, EVENT_ECHO, [...names])).values());
    sfn.destroy();
    const lostRecord = await recordsOf(stack, correlation);

    // Assert
    report({
      scenario: 'queue-when-busy-events',
      seed: SEED,
      kill: 'busy-delivery-queued:1 (unkeyed, never retried), busy-delivery-queued:1 (keyed, retried)',
      kills: stack.kills,
      deliveries: 2,
      ...summary,
    });
    expect([unkeyedFirst, keyedFirst]).toEqual(['cut', 'cut']);
    expect(retried.status).toBe(202);
    expect(names.has(String((retried.body as { runRef: string }).runRef))).toBe(true);
    expect(names.size).toBe(2);
    expect(summary).toMatchObject({ ranOnce: 2, ranTwice: 0, lost: 0 });
    expect(lostRecord).toEqual([expect.objectContaining({ style: 'events', outcome: 'started', status: 202 })]);
  });
});

/** The execution names of `machine` once `expected` exist (or 120 s passed), after a pause for any second start. */
async function settledNames(stack: CrashingStack, machine: string, expected: number): Promise<Set<string>> {
  const executions = async () => {
    const all: ExecutionListItem[] = [];
    let nextToken: string | undefined;
    do {
      const page = await stack
        .sfn()
        .send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000, nextToken }));
      all.push(...(page.executions ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return new Set(all.map((e) => e.name!));
  };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && (await executions()).size < expected) await sleep(500);
  // Let any second start of a name (a redelivered message, a retry) have its go, then count.
  await sleep(4_000);
  return executions();
}

/** The deliveries a sender's correlation id names, as the deliveries API lists them (once the worker wrote them). */
async function recordsOf(stack: CrashingStack, correlationId: string): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listed = await request(`${stack.stack.url}/api/deliveries?correlationId=${correlationId}`, {
      headers: DEV_KEY,
    });
    const deliveries = (listed.body as { deliveries?: Record<string, unknown>[] }).deliveries ?? [];
    if (deliveries.some((d) => d.outcome !== 'queued') || Date.now() > deadline) return deliveries;
    await sleep(500);
  }
}
