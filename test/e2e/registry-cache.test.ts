import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { apiKeyItem } from '../../functions/adapters/aws/registry-items';
import { sha256Hex } from '../../functions/core/auth/secrets';
import { type RunningStack, removeDataDir, request, startLocalStack } from '../support/local-stack';

jest.setTimeout(60_000);

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const KEY = 'hf_key_revoked_while_cached';
const TTL_SECONDS = 4;

/**
 * Issue 18: handlers serve registry reads from a short cache (REGISTRY_CACHE_SECONDS). The other e2e stacks run
 * with it off (test/support/local-stack.ts); this one turns it on, as deployed, and shows what it costs: a key
 * revoked in the registry still works until its cached record expires, and is refused after that.
 */
describe('the registry cache on the local stack', () => {
  let stack: RunningStack;
  let dynamodb: DynamoDBClient;
  beforeAll(async () => {
    stack = await startLocalStack({ env: { REGISTRY_CACHE_SECONDS: String(TTL_SECONDS) } });
    dynamodb = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    dynamodb?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  const putKey = (disabled: boolean) =>
    dynamodb.send(
      new PutItemCommand({
        TableName: 'hookflow-registry',
        Item: marshall(apiKeyItem({ keyId: 'cached', keyHash: sha256Hex(KEY), flows: ['*'], orgs: [], disabled })),
      }),
    );
  const trigger = () =>
    request(`${stack.url}/flows/hello/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{"cached":true}',
    });

  it('a revoked key still works while its record is cached, and is refused once the cache has expired', async () => {
    // Arrange: the key works, and the flow trigger handler now holds its record.
    await putKey(false);
    const before = await trigger();

    // Act: revoke it in the registry, try at once, then again after the cache's TTL.
    await putKey(true);
    const withinTtl = await trigger();
    await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 500));
    const afterTtl = await trigger();

    // Assert
    expect([before.status, withinTtl.status, afterTtl.status]).toEqual([202, 202, 401]);
  });
});
