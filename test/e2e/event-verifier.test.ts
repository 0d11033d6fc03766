import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { removeDataDir, request, type RunningStack, startLocalStack, waitForExecution } from '../support/local-stack';

jest.setTimeout(60_000);

/**
 * Issue 14: `POST /api/v2/event` must run the verifier of every workflow it would start, as
 * `POST /api/v2/webhook?ref=` does. The verifier is set the way an operator sets it (scripts/set-verifier.ts,
 * against the running stack's registry), so the check reads it where AWS keeps it: on the workflow's own item,
 * not on its event-type subscription.
 */
describe('CloudEvents for a workflow with a verifier (local stack)', () => {
  const SECRET = 'order-echo-github-secret-e2e';
  const ECHO = 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-event-echo';
  let stack: RunningStack;
  let sfn: SFNClient;
  beforeAll(async () => {
    stack = await startLocalStack();
    sfn = new SFNClient({
      endpoint: stack.sfnEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    execFileSync(
      'npx',
      [
        'tsx',
        'scripts/set-verifier.ts',
        '--table',
        'hookflow-registry',
        '--registration',
        'event-workflow:order-echo',
        '--kind',
        'github',
        '--secret',
        SECRET,
      ],
      {
        cwd: join(__dirname, '..', '..'),
        encoding: 'utf8',
        env: {
          ...process.env,
          AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
      },
    );
    // Starting a stack and running a script take long on a loaded machine; nothing below is timed.
  }, 180_000);
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    request(`${stack.url}/api/v2/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', ...headers },
      body,
    });
  const echoRuns = async () =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: ECHO, maxResults: 1000 }))).executions ?? [];
  const orderCreated = (id: string) =>
    JSON.stringify({ specversion: '1.0', id, source: '/shop', type: 'com.example.order.created', data: { order: 7 } });

  it('answers 401 to an unsigned event and starts no run', async () => {
    const before = (await echoRuns()).length;

    const response = await post(orderCreated('unsigned-1'));

    expect(response).toMatchObject({ status: 401, body: { error: 'missing x-hub-signature-256 header' } });
    expect((await echoRuns()).length).toBe(before);
  });

  it('answers 401 to an event signed with another secret and starts no run', async () => {
    const before = (await echoRuns()).length;
    const body = orderCreated('forged-1');

    const response = await post(body, { 'x-hub-signature-256': await githubSign('not-the-secret-at-all', body) });

    expect(response.status).toBe(401);
    expect((await echoRuns()).length).toBe(before);
  });

  it('starts the subscribed workflow for a signed event, and the run succeeds', async () => {
    const body = orderCreated('signed-1');

    const response = await post(body, { 'x-hub-signature-256': await githubSign(SECRET, body) });

    expect(response.status).toBe(202);
    const [accepted] = (response.body as { events: { started: { workflow: string; executionLink: string }[] }[] })
      .events;
    expect(accepted!.started.map((s) => s.workflow)).toEqual(['order-echo']);
    expect(await waitForExecution(accepted!.started[0]!.executionLink)).toMatchObject({ status: 'SUCCEEDED' });
  });
});
