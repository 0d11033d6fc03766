import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { dedupeTableSchema } from '../../functions/adapters/aws/table-schemas';
import {
  localClientConfig,
  refusedStart,
  removeDataDir,
  type RunningStack,
  request,
  startLocalStack,
} from '../support/local-stack';

const DEDUPE_TABLE = 'hookflow-dedupe';
const { partitionKey: pk, timeToLiveAttribute: ttl } = dedupeTableSchema;

/**
 * DynamoDB's TTL, which dynalite lacks, applied by the local stack to its dedupe table (local/dynamodb/ttl-sweeper.ts
 * has the rules and their unit tests). Here: the stack runs the sweeper, with its settings read from the
 * environment, and what it deletes is only what has expired; a setting it cannot read stops the start.
 */
describe('the local stack applies DynamoDB TTL to the dedupe table', () => {
  let stack: RunningStack;
  let dynamodb: DynamoDBClient;
  beforeAll(async () => {
    stack = await startLocalStack({
      env: { HOOKFLOW_LOCAL_TTL_SWEEP_SECONDS: '0.2', HOOKFLOW_LOCAL_TTL_DELETE_AFTER_SECONDS: '0' },
    });
    dynamodb = new DynamoDBClient(localClientConfig(stack.dynamodbEndpoint));
  }, 120_000); // on dynamodb-local the stack also starts a JVM
  afterAll(async () => {
    dynamodb?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  it('deletes an expired item and keeps a live claim and the run it started', async () => {
    // Arrange: an item expired a minute ago, and a keyed trigger's claim (live for its dedupe window).
    const now = Math.floor(Date.now() / 1000);
    await dynamodb.send(
      new PutItemCommand({
        TableName: DEDUPE_TABLE,
        Item: { [pk]: { S: 'ttl-test#expired' }, [ttl]: { N: String(now - 60) } },
      }),
    );
    const headers = { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': `ttl-${Date.now()}` };
    const trigger = () => request(`${stack.url}/flows/hello/trigger`, { method: 'POST', headers, body: '{"n":1}' });
    const first = await trigger();
    expect(first.status).toBe(202);

    // Act: wait for the sweeper (a page every 0.2 s) to reach the expired item.
    const expiredLeft = async () =>
      (
        await dynamodb.send(
          new GetItemCommand({
            TableName: DEDUPE_TABLE,
            Key: { [pk]: { S: 'ttl-test#expired' } },
            ConsistentRead: true,
          }),
        )
      ).Item !== undefined;
    while (await expiredLeft()) await new Promise((tick) => setTimeout(tick, 100));
    await new Promise((tick) => setTimeout(tick, 600)); // three more sweeps over the whole (small) table

    // Assert: the live claim still answers a duplicate with the same run.
    const again = await trigger();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((again.body as { executionLink: string }).executionLink).toBe(
      (first.body as { executionLink: string }).executionLink,
    );
    expect(stack.output()).not.toContain('TTL sweep of');
  }, 30_000);
});

describe('the local stack refuses a TTL setting it cannot read', () => {
  it.each([
    ['HOOKFLOW_LOCAL_TTL_SWEEP_SECONDS', 'soon'],
    ['HOOKFLOW_LOCAL_TTL_DELETE_AFTER_SECONDS', '-1'],
  ])(
    '%s=%s',
    async (name, value) => {
      // Arrange, Act
      const refused = await refusedStart({ [name]: value });

      // Assert: named, before any service was started, and no stack trace.
      expect(refused).toContain(`refusing to start: ${name} must be 0 or more seconds`);
      expect(refused).not.toContain('DynamoDB (');
      expect(refused).not.toMatch(/\n\s+at /);
    },
    30_000,
  );
});
