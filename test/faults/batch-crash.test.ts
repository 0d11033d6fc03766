import {
  CrashingStack,
  SEED,
  countRuns,
  executionName,
  mayBeCut,
  random,
  report,
  request,
  retryUntil,
  stateMachineArn,
  summarize,
} from './crash-support';

jest.setTimeout(420_000);

const SECRET = { 'inbound-webhook-secret': 'hf_local_inbound_secret' };
const ITEMS = 100;

/**
 * An inbound batch (half Express, half Standard items): the stack dies while the batch is being sent to SQS
 * (the sender's connection is cut; it posts the same batch again), then is killed from outside 40-50 ms
 * after the batch's 202 (a seeded random delay), while the fan-out worker starts the items. After each
 * restart SQS redelivers what was not done: every item must run exactly once.
 */
describe('crash during batch fan-out, then the sender retries and SQS redelivers', () => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());

  it('runs every batch item exactly once, Express and Standard', async () => {
    const rng = random(SEED);
    const batch = {
      workflow: 'workflow name',
      batch: Array.from({ length: ITEMS }, (_, i) => ({
        uid: `batch-${SEED}-${i}`,
        ...(i % 2 === 1 ? { workflow: 'alternative workflow' } : {}),
        stateValues: { i },
      })),
    };
    const post = () =>
      request(`${stack.stack.url}/inbound`, { method: 'POST', headers: SECRET, body: JSON.stringify(batch) });

    await stack.start('batch-chunk-sent:4');
    const first = await mayBeCut(post);
    await stack.crashed();
    await stack.start();
    const accepted = await retryUntil(post, (s) => s === 202);
    const delayMs = 40 + Math.floor(rng() * 10);
    await new Promise((r) => setTimeout(r, delayMs));
    await stack.kill();
    await stack.start();

    const entries = (accepted.body as { batch: { runRef: string }[] }).batch;
    const names = await Promise.all(
      entries.map(async ({ runRef }) => {
        const status = await retryUntil(
          () => request(`${stack.stack.url}/inbound/runs/${runRef}`, { headers: SECRET }),
          (s) => s === 200,
        );
        let body = status.body as { status: string; executionId?: string };
        for (let i = 0; body.status !== 'STARTED' && i < 600; i++) {
          await new Promise((r) => setTimeout(r, 200));
          body = (await request(`${stack.stack.url}/inbound/runs/${runRef}`, { headers: SECRET })).body as typeof body;
        }
        return body.executionId === undefined ? `never-started-${runRef}` : executionName(body.executionId);
      }),
    );
    const sfn = stack.sfn();
    const counts = new Map([
      ...(await countRuns(
        sfn,
        stateMachineArn('hookflow-inbound-echo'),
        names.filter((_, i) => i % 2 === 0),
      )),
      ...(await countRuns(
        sfn,
        stateMachineArn('hookflow-inbound-echo-standard'),
        names.filter((_, i) => i % 2 === 1),
      )),
    ]);
    const summary = summarize(counts.values());
    report({
      scenario: 'inbound-batch',
      seed: SEED,
      kill: `batch-chunk-sent:4,then SIGKILL ${delayMs}ms after 202`,
      kills: stack.kills,
      items: ITEMS,
      firstAnswer: first === 'cut' ? 'cut' : first.status,
      ...summary,
    });
    expect(summary).toMatchObject({ ranOnce: ITEMS, ranTwice: 0, lost: 0 });
  });
});

/**
 * Step Functions refuses every start of a batch (throttled), so the fan-out worker sends each item back to the
 * queue, delayed, as a new message; the stack dies right after the first such requeue, before SQS deletes the
 * original. After the restart (no throttle) the original comes back after its visibility timeout and the
 * requeued copy after its delay: two messages for one item, and still one run per item.
 */
describe('crash right after a busy fan-out item is requeued', () => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());
  const BUSY_ITEMS = 10;

  it('runs every item exactly once', async () => {
    const batch = {
      workflow: 'workflow name',
      batch: Array.from({ length: BUSY_ITEMS }, (_, i) => ({ uid: `busy-${SEED}-${i}` })),
    };
    const post = () =>
      request(`${stack.stack.url}/inbound`, { method: 'POST', headers: SECRET, body: JSON.stringify(batch) });

    // Each refused start is the SDK's 3 attempts: enough refusals for every item's first start.
    await stack.start('fanout-item-requeued:1', {
      HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: String(BUSY_ITEMS * 3),
      FANOUT_BUSY_BACKOFF_SECONDS: '1',
    });
    const first = await mayBeCut(post);
    await stack.crashed();
    await stack.start();
    const accepted = first !== 'cut' && first.status === 202 ? first : await retryUntil(post, (s) => s === 202);

    const entries = (accepted.body as { batch: { runRef: string }[] }).batch;
    const names = await Promise.all(
      entries.map(async ({ runRef }) => {
        let body = { status: 'PENDING' } as { status: string; executionId?: string };
        for (let i = 0; body.status !== 'STARTED' && i < 300; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 200));
          body = (await request(`${stack.stack.url}/inbound/runs/${runRef}`, { headers: SECRET })).body as typeof body;
        }
        return body.executionId === undefined ? `never-started-${runRef}` : executionName(body.executionId);
      }),
    );
    // Let the other copy of each item (the original or the requeued one) have its go, then count.
    await new Promise((r) => setTimeout(r, 3_000));
    const counts = await countRuns(stack.sfn(), stateMachineArn('hookflow-inbound-echo'), names);
    const summary = summarize(counts.values());
    report({
      scenario: 'fanout-busy-requeue',
      seed: SEED,
      kill: 'fanout-item-requeued:1',
      kills: stack.kills,
      ...summary,
    });
    expect(summary).toMatchObject({ ranOnce: BUSY_ITEMS, ranTwice: 0, lost: 0 });
  });
});
