import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyItem } from '../../functions/adapters/aws/registry-items';
import { sha256Hex } from '../../functions/core/auth/secrets';
import { type RunningStack, removeDataDir, request, startLocalStack } from '../support/local-stack';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const shipped = JSON.parse(readFileSync(join(__dirname, '..', '..', 'local', 'hookflow.local.json'), 'utf8')) as {
  flows: { flowId: string }[];
  apiKeys: { keyId: string }[];
};
/** A key created at run time, as scripts/create-api-key.ts creates one against the local stack: not the file's. */
const RUNTIME_KEY = 'hf_runtime_key_created_by_a_script';

/**
 * Issue 17, item 4: the local config is declarative. A restart over the same data folder leaves the registry
 * holding what the file says: a flow and a key removed from the file are gone; a key created at run time stays.
 * A file naming a workflow that does not exist is refused at start, naming the registration.
 */
describe('the local config file across restarts', () => {
  const folder = mkdtempSync(join(tmpdir(), 'hookflow-config-'));
  const dataDir = join(folder, 'data');
  const configPath = join(folder, 'hookflow.local.json');
  const env = { HOOKFLOW_LOCAL_CONFIG: configPath };
  let stack: RunningStack | undefined;
  afterAll(async () => {
    await stack?.stop();
    removeDataDir(folder);
  });
  const trigger = (url: string, flow: string, key: string) =>
    request(`${url}/flows/${flow}/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"restart":true}',
    });

  it('removes what the file no longer says, keeps run-time keys, and refuses a missing workflow', async () => {
    // Arrange: the shipped config, and a key created at run time.
    writeFileSync(configPath, JSON.stringify(shipped));
    stack = await startLocalStack({ dataDir, env });
    const dynamodb = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials });
    await dynamodb.send(
      new PutItemCommand({
        TableName: 'hookflow-registry',
        Item: marshall(
          apiKeyItem({ keyId: 'runtime', keyHash: sha256Hex(RUNTIME_KEY), flows: ['*'], orgs: [], disabled: false }),
        ),
      }),
    );
    dynamodb.destroy();
    const before = [
      (await trigger(stack.url, 'hello', 'hf_local_dev_key')).status,
      (await trigger(stack.url, 'hello', 'hf_local_hello_only_key')).status,
    ];
    await stack.stop();

    // Act: the flow `hello` and the key `local-hello-only` leave the file; restart over the same data folder.
    writeFileSync(
      configPath,
      JSON.stringify({
        ...shipped,
        flows: shipped.flows.filter((flow) => flow.flowId !== 'hello'),
        apiKeys: shipped.apiKeys.filter((key) => key.keyId !== 'local-hello-only'),
      }),
    );
    stack = await startLocalStack({ dataDir, env });
    const after = {
      removedFlow: (await trigger(stack.url, 'hello', 'hf_local_dev_key')).status,
      removedKey: (await trigger(stack.url, 'hello-standard', 'hf_local_hello_only_key')).status,
      keptFlow: (await trigger(stack.url, 'hello-standard', 'hf_local_dev_key')).status,
      runtimeKey: (await trigger(stack.url, 'hello-standard', RUNTIME_KEY)).status,
    };
    const output = stack.output();
    await stack.stop();
    stack = undefined;
    writeFileSync(
      configPath,
      JSON.stringify({ ...shipped, flows: [...shipped.flows, { flowId: 'orders', workflow: 'deleted-workflow' }] }),
    );
    const refused = await startLocalStack({ dataDir, env }).then(
      () => 'started',
      (error: Error) => error.message,
    );

    // Assert
    expect(before).toEqual([202, 202]);
    expect(after).toEqual({ removedFlow: 404, removedKey: 401, keptFlow: 202, runtimeKey: 202 });
    expect(output).toContain('removed FLOW#hello');
    expect(refused).toContain(
      'refusing to start: flow orders: workflow "deleted-workflow" is not a workflow of workflows/workflows.json',
    );
    expect(refused).not.toMatch(/\n\s+at /);
  }, 240_000);
});
