import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbDeliveryLog } from '../../functions/adapters/aws/dynamodb-delivery-log';
import type { DeliveryRecord } from '../../functions/core/deliveries/record';
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

/** The key's records, listed by correlation id and each read by id, as the deliveries API reads them. */
async function recordsOfKey(stack: CrashingStack, key: string) {
  const dynamodb = new DynamoDBClient({
    endpoint: stack.stack.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const log = new DynamoDbDeliveryLog(dynamodb, 'hookflow-dedupe', { shards: 4, maxItemsRead: 2_000 });
  const page = await log.list({ from: Date.now() - 600_000, to: Date.now(), limit: 100, correlationId: key });
  const records = (await Promise.all(page.items.map((item) => log.get(item.id)))) as DeliveryRecord[];
  dynamodb.destroy();
  return { page, records };
}

/** A keyed trigger of `flow` that the stack's armed kill cuts, then the sender's retries after a restart until 202. */
async function cutThenRetry(stack: CrashingStack, flow: string, key: string) {
  const trigger = () =>
    request(`${stack.stack.url}/flows/${flow}/trigger`, {
      method: 'POST',
      headers: { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': key },
      body: JSON.stringify({ key }),
    });
  const first = await mayBeCut(trigger);
  await stack.crashed();
  await stack.start();
  return { first, answer: await retryUntil(trigger, (status) => status === 202) };
}

/**
 * Deliveries through a crash (issue 19): the stack dies right after a keyed flow trigger's claim (which carries the
 * delivery's record), before the start. After a restart the sender retries with its key: one run, and the records
 * say what happened: the first delivery's record (on the claim) names the run its retry started under the claim's
 * name, and the retry's own record names the same run.
 */
describe('crash after the claim that carries the record, then the sender retries', () => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());

  it('one run, and every record of the key names that run', async () => {
    // Arrange
    await stack.start('dedupe-claimed:1');
    const key = `deliveries-crash-${SEED}`;

    // Act
    const { first, answer } = await cutThenRetry(stack, 'hello-standard', key);

    // Assert: one run
    const name = executionName(arnOf((answer.body as { executionLink: string }).executionLink));
    const summary = summarize(
      (await countRuns(stack.sfn(), stateMachineArn('hookflow-echo-standard'), [name])).values(),
    );
    report({ scenario: 'deliveries', seed: SEED, kill: 'dedupe-claimed:1', kills: stack.kills, ...summary });
    expect(first).toBe('cut');
    expect(summary).toMatchObject({ ranOnce: 1, ranTwice: 0, lost: 0 });

    // Assert: the records of the key, read as the deliveries API reads them
    const { records } = await recordsOfKey(stack, key);
    const started = records.filter((record) => record.outcome === 'started');
    const retried = answer.headers.get('hookflow-delivery-id');
    // The cut request's record (on the claim) and the retry's: both started, both naming the one run.
    expect(started.map((record) => record.id)).toContain(retried);
    expect(started.length).toBe(2);
    for (const record of started) expect(record.runs.map((run) => executionName(run.executionArn!))).toEqual([name]);
    // Any retry answered 409 while the claim's lease ran is a refusal that says why.
    for (const record of records.filter((r) => r.outcome !== 'started')) {
      expect(record).toMatchObject({ outcome: 'refused', status: 409, reason: expect.any(String) });
    }
  });
});

/**
 * The same for a guarded Express workflow (hello: recorded, its run guard first): the claim, which carries the record,
 * is the trigger's one write, and the record names the run guard's item as its run. The stack dies right after the
 * start, before the answer; the sender's retry finds the run on the guard's item and starts nothing, and the cut
 * request's record reads that run off the guard's item.
 */
describe('crash after the start of a guarded Express run whose claim carries the record, then the sender retries', () => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());

  it("one run, which the cut request's record and the retry's answer both name", async () => {
    // Arrange
    await stack.start('run-started:1');
    const key = `deliveries-crash-guarded-${SEED}`;

    // Act
    const { first, answer } = await cutThenRetry(stack, 'hello', key);

    // Assert: one run (a duplicate start would show as a run the guard stopped)
    const name = executionName(arnOf((answer.body as { executionLink: string }).executionLink));
    const summary = summarize((await countRuns(stack.sfn(), stateMachineArn('hookflow-echo'), [name])).values());
    report({ scenario: 'deliveries, guarded', seed: SEED, kill: 'run-started:1', kills: stack.kills, ...summary });
    expect(first).toBe('cut');
    expect(summary).toMatchObject({ ranOnce: 1, ranTwice: 0, lost: 0 });
    expect(answer.headers.get('idempotent-replayed')).toBe('true');

    // Assert: the cut request's record (on the claim) names the run, read off the guard's item
    const { page, records } = await recordsOfKey(stack, key);
    const started = records.filter((record) => record.outcome === 'started');
    expect(started).toHaveLength(1);
    expect(started[0]!.runs.map((run) => executionName(run.executionArn!))).toEqual([name]);
    expect(page.items.find((item) => item.id === started[0]!.id)?.runs).toEqual(started[0]!.runs);
  });
});
