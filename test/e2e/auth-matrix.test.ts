import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import { removeDataDir, request, type RunningStack, startLocalStack } from '../support/local-stack';

jest.setTimeout(90_000);

/** Every credential the local seed file holds, and the secrets made below: none may appear in a log line. */
const SECRETS = [
  'hf_local_dev_key',
  'hf_local_hello_only_key',
  'hf_local_disabled_key',
  'my-secret-api-key',
  'otherclient-secret-key',
  'hf_local_inbound_secret',
  'hf_local_acme_admin_key',
  'hf_local_globex_admin_key',
  'hf_local_github_webhook_secret',
];

type Row = readonly [credentials: string, status: number];

/**
 * The auth matrix (issue 8): for each style, no credentials, wrong ones, another tenant's, and the right
 * ones. Afterwards, not one log line of any handler carries a key or a secret.
 */
describe('auth matrix on the local stack', () => {
  let stack: RunningStack;
  let webhookA: { id: string; verifySecret: string };
  let webhookB: { id: string; verifySecret: string };
  beforeAll(async () => {
    stack = await startLocalStack();
    const create = async (key: string, org: string, template: string) => {
      const created = await request(`${stack.url}/api/webhooks`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'x-api-org': org },
      });
      const webhook = created.body as { id: string; verifySecret: string };
      await request(`${stack.url}/api/webhooks/${webhook.id}/workflows/${template}`, {
        method: 'PUT',
        headers: { 'x-api-key': key, 'x-api-org': org },
      });
      return webhook;
    };
    webhookA = await create('hf_local_acme_admin_key', 'acme', 'audit');
    webhookB = await create('hf_local_globex_admin_key', 'globex', 'notify');
    SECRETS.push(webhookA.verifySecret, webhookB.verifySecret);
  });
  afterAll(async () => {
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  const matrix = async (
    rows: readonly Row[],
    call: (credentials: string) => Promise<{ status: number; body: unknown }>,
  ) => {
    for (const [credentials, status] of rows) {
      const response = await call(credentials);
      expect({ credentials, status: response.status }).toEqual({ credentials, status });
      if (status >= 400) expect(response.body).toEqual({ error: expect.any(String) });
    }
  };

  it('flow trigger: API key (bearer or X-Api-Key), scoped to flows', async () => {
    await matrix(
      [
        ['', 401],
        ['hf_wrong_key', 401],
        ['hf_local_disabled_key', 401],
        ['hf_local_hello_only_key', 403], // another caller's flow
        ['hf_local_dev_key', 202],
      ],
      (key) =>
        request(`${stack.url}/flows/hello-standard/trigger`, {
          method: 'POST',
          headers: key === '' ? {} : { authorization: `Bearer ${key}` },
          body: '{}',
        }),
    );
  });

  it("client webhook: the webhook's own key (another client's key is wrong here)", async () => {
    await matrix(
      [
        ['', 401],
        ['nope', 401],
        ['otherclient-secret-key', 401],
        ['my-secret-api-key', 200],
      ],
      (key) => request(`${stack.url}/webhook/test-client/my-webhook${key === '' ? '' : `?key=${key}`}`),
    );
  });

  it('inbound: Inbound-Webhook-Secret (one tenant: the deployment)', async () => {
    await matrix(
      [
        ['', 401],
        ['hf_local_inbound_secreT', 401],
        ['hf_local_dev_key', 401],
        ['hf_local_inbound_secret', 202],
      ],
      (secret) =>
        request(`${stack.url}/inbound`, {
          method: 'POST',
          headers: secret === '' ? {} : { 'inbound-webhook-secret': secret },
          body: '{"workflow":"workflow name"}',
        }),
    );
  });

  it('registered webhooks admin: key and org; another org is 403 for its org header, 404 for its webhooks', async () => {
    await matrix(
      [
        ['', 401],
        ['nope|acme', 401],
        ['hf_local_acme_admin_key|globex', 403],
        ['hf_local_globex_admin_key|globex', 404],
        ['hf_local_acme_admin_key|acme', 200],
      ],
      (credentials) => {
        const [key, org] = credentials.split('|');
        return request(`${stack.url}/api/webhooks/${webhookA.id}`, {
          headers: { ...(key ? { 'x-api-key': key } : {}), ...(org ? { 'x-api-org': org } : {}) },
        });
      },
    );
  });

  it("registered webhook trigger: the webhook's secret (another webhook's secret is wrong here)", async () => {
    await matrix(
      [
        ['', 401],
        ['nope', 401],
        [webhookB.verifySecret, 401],
        [webhookA.verifySecret, 200],
      ],
      (secret) =>
        request(`${stack.url}/api/trigger-webhooks/${webhookA.id}`, {
          method: 'POST',
          headers: secret === '' ? {} : { 'x-verify-signature': secret },
          body: '{"foo":"bar"}',
        }),
    );
  });

  it('events: open by design (seed 3), so a run can only be resumed by who knows its ref', async () => {
    const started = await request(`${stack.url}/api/v2/webhook?ref=approval`, { method: 'POST', body: '{}' });
    expect(started.status).toBe(202);
    // A UUID, or (a workflow that queues when busy) a name hashed from its delivery and a random nonce: not guessable
    expect((started.body as { runRef: string }).runRef).toMatch(/^([0-9a-f-]{36}|hf-\d+-[\w-]{43})$/);
  });

  it('never logs a key or a secret, passes none to a run, and stores keys only hashed', async () => {
    const handlerLines = stack
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(handlerLines.length).toBeGreaterThan(10);
    for (const secret of SECRETS) {
      const leaks = handlerLines.filter((line) => line.includes(secret));
      expect({ secret, leaks }).toEqual({ secret, leaks: [] });
    }
    // The runs' inputs are readable by anyone with states:GetExecutionHistory: no credential reached them either.
    const sfn = new SFNClient({
      endpoint: stack.sfnEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    const inputs: string[] = [];
    for (const machine of stateMachines) {
      const { executions = [] } = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn }),
      );
      for (const execution of executions) {
        const described = await request(`${stack.url}/executions/${execution.executionArn}`);
        inputs.push(JSON.stringify((described.body as { input: unknown }).input));
      }
    }
    expect(inputs.length).toBeGreaterThan(3);
    for (const secret of SECRETS) expect(inputs.filter((input) => input.includes(secret))).toEqual([]);
    sfn.destroy();

    // API keys, client webhook keys and inbound secrets are compared as SHA-256: the registry holds no key.
    // (Signing secrets must stay usable for HMACs: those are kept, encrypted at rest, and never returned.)
    const dynamodb = new DynamoDBClient({
      endpoint: stack.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName: 'hookflow-registry' }));
    const stored = JSON.stringify(Items);
    expect(stored).toContain(createHash('sha256').update('hf_local_dev_key').digest('hex'));
    for (const key of SECRETS.slice(0, 8))
      expect({ key, stored: stored.includes(key) }).toEqual({ key, stored: false });
    dynamodb.destroy();
  });
});
