import {
  CrashingStack,
  SEED,
  arnOf,
  countRuns,
  executionName,
  mayBeCut,
  report,
  request,
  retryUntil,
  stateMachineArn,
  summarize,
} from './crash-support';

jest.setTimeout(420_000);

/**
 * Flow triggers with an Idempotency-Key, Express (hello), Standard (hello-standard) and Express without delivery
 * records (hello-unrecorded: the claim is the one write, the run guard names the run), ten at once; the
 * stack dies at the third request to reach the crash point, and every request in flight is cut wherever it
 * was. After a restart on the same data, each sender retries with its key: each key runs exactly once.
 */
/** A body whose run input passes Step Functions' 256 KiB: stored in S3, the run gets a reference (claim-check). */
const LARGE = 'x'.repeat(300 * 1024);

describe.each([
  ['dedupe-claimed', ''],
  ['run-started', ''],
  // Large bodies: the body is stored before the claim; each retry stores it again under a new key, so its input
  // differs from the first attempt's, and exactly-once must still hold (same execution name, run guard).
  ['body-stored', LARGE],
  ['run-started', LARGE],
])('crash at %s, then senders retry (%#)', (point, padding) => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());

  it('runs every request exactly once, Express, Standard, and Express named by its run guard', async () => {
    await stack.start(`${point}:3`);
    const requests = Array.from({ length: 10 }, (_, i) => ({
      flow: ['hello', 'hello-standard', 'hello-unrecorded'][i % 3]!,
      key: `${point}-${SEED}-${i}`,
    }));
    const trigger = (r: (typeof requests)[number]) => () =>
      request(`${stack.stack.url}/flows/${r.flow}/trigger`, {
        method: 'POST',
        headers: { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': r.key },
        body: JSON.stringify({ key: r.key, padding }),
      });

    const first = await Promise.all(requests.map((r) => mayBeCut(trigger(r))));
    await stack.crashed();
    await stack.start();
    const answers = await Promise.all(requests.map((r) => retryUntil(trigger(r), (s) => s === 202)));

    const names = answers.map((a) => executionName(arnOf((a.body as { executionLink: string }).executionLink)));
    const sfn = stack.sfn();
    const counts = new Map([
      ...(await countRuns(
        sfn,
        stateMachineArn('hookflow-echo'),
        names.filter((_, i) => requests[i]!.flow !== 'hello-standard'),
      )),
      ...(await countRuns(
        sfn,
        stateMachineArn('hookflow-echo-standard'),
        names.filter((_, i) => requests[i]!.flow === 'hello-standard'),
      )),
    ]);
    const summary = summarize(counts.values());
    report({
      scenario: padding === '' ? 'flow-trigger' : 'flow-trigger, claim-checked body',
      seed: SEED,
      kill: `${point}:3`,
      kills: stack.kills,
      requests: requests.length,
      cut: first.filter((a) => a === 'cut').length,
      ...summary,
    });
    expect(summary).toMatchObject({ ranOnce: requests.length, ranTwice: 0, lost: 0 });
  });
});
