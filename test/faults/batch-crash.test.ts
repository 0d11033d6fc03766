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
