import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { parseJsonKeepingNumbers } from '../../functions/core/json';
import { type RunningStack, removeDataDir, request, startLocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

// From local/hookflow.local.json.
const FLOW_KEY = 'hf_local_dev_key';
const CLIENT_KEY = 'my-secret-api-key';
const INBOUND_SECRET = 'hf_local_inbound_secret';
const ACME_KEY = 'hf_local_acme_admin_key';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const BIG = '1234567890123456789';
const PRECISE = '0.10000000000000000001';

/**
 * What a sender writes is what the workflow gets, on every route (functions/core/json.ts), and no credential
 * or body fragment reaches an answer, a log line or a run's input (issue 15: defects 11, 12, 15).
 */
describe('JSON fidelity and secrets on the local stack', () => {
  let stack: RunningStack;
  let sfn: SFNClient;
  beforeAll(async () => {
    stack = await startLocalStack();
    sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  /** The execution's input exactly as Step Functions holds it (text, not re-parsed). */
  const inputText = async (executionArn: string) =>
    (await sfn.send(new DescribeExecutionCommand({ executionArn }))).input ?? '';
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    request(`${stack.url}${path}`, { method: 'POST', headers, body });

  describe('numbers arrive with the digits the sender wrote', () => {
    it('flow trigger', async () => {
      // Act
      const answer = await post('/flows/hello/trigger', `{"id":${BIG},"amount":${PRECISE},"plain":1.5}`, {
        authorization: `Bearer ${FLOW_KEY}`,
      });

      // Assert
      expect(answer.status).toBe(202);
      const arn = decodeURIComponent(String((answer.body as { executionLink: string }).executionLink)).replace(
        /^.*\/executions\//,
        '',
      );
      expect(await inputText(arn)).toContain(`"payload":{"id":${BIG},"amount":${PRECISE},"plain":1.5}`);
    });

    it('sync client webhook: in the input, and the output passed back exactly as the run wrote it', async () => {
      // Act
      const answer = await post('/webhook/test-client/my-webhook', `{"key":"${CLIENT_KEY}","id":${BIG}}`);

      // Assert: the answer repeats the input with the digits; the run's output comes back as Step Functions
      // holds it. (What a workflow does with such a number inside is Step Functions' own: the local engine is
      // JavaScript and rounds it while the run computes; see docs/guarantees.md.)
      expect(answer.status).toBe(200);
      expect(answer.text).toContain(`"payload":{"id":${BIG}}`);
      const executionArn = String((answer.body as { executionId: string }).executionId);
      expect(await inputText(executionArn)).toContain(`"id":${BIG}`);
      const output = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).output!;
      expect(answer.text).toContain(`"output":${JSON.stringify(parseJsonKeepingNumbers(output))}`);
    });

    it('inbound batch, through SQS and the fan-out worker', async () => {
      // Act
      const answer = await post(
        '/inbound',
        `{"workflow":"workflow name","batch":[{"uid":"n-1","stateValues":{"id":${BIG},"amount":${PRECISE}}}]}`,
        { 'inbound-webhook-secret': INBOUND_SECRET },
      );
      expect(answer.status).toBe(202);
      const runUrl = (answer.body as { batch: { runUrl: string }[] }).batch[0]!.runUrl;
      let executionId: string | undefined;
      for (let i = 0; i < 200 && executionId === undefined; i++) {
        const run = (await request(runUrl, { headers: { 'inbound-webhook-secret': INBOUND_SECRET } })).body as {
          executionId?: string;
        };
        executionId = run.executionId ?? undefined;
        if (executionId === undefined) await new Promise((r) => setTimeout(r, 100));
      }

      // Assert
      expect(executionId).toBeDefined();
      expect(await inputText(executionId!)).toContain(`"stateValues":{"id":${BIG},"amount":${PRECISE}}`);
    });

    it.each([
      ['flow trigger', '/flows/hello/trigger', { authorization: `Bearer ${FLOW_KEY}` }, '{"n":1e400}'],
      ['client webhook', '/webhook/myclient/open', {}, '{"n":-1e400}'],
      ['inbound', '/inbound', { 'inbound-webhook-secret': INBOUND_SECRET }, '{"workflow":"workflow name","n":1E999}'],
    ])('%s refuses a number beyond a double with 400', async (_style, path, headers, body) => {
      // Act
      const answer = await post(path, body, headers);

      // Assert
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'a number in the body is beyond the range of a double (about ±1.8e308)' });
    });
  });

  describe('__proto__: one rule on every path', () => {
    it.each([
      ['a single inbound request', '{"workflow":"workflow name","stateValues":{"__proto__":{"x":1}}}'],
      ['a batch item', '{"workflow":"workflow name","batch":[{"uid":"p-1","stateValues":{"__proto__":{"x":1}}}]}'],
      ['runtime data', '{"workflow":"workflow name","__proto__":{"x":1}}'],
    ])('%s is refused with 400', async (_where, body) => {
      // Act
      const answer = await post('/inbound', body, { 'inbound-webhook-secret': INBOUND_SECRET });

      // Assert
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'the key "__proto__" is not accepted in JSON bodies' });
    });
  });

  describe('no credential in an answer, a log line or a run input', () => {
    it.each([
      ['a text body equal to the key', CLIENT_KEY],
      ['a form body holding the key', `key=${CLIENT_KEY}&x=1`],
    ])('client webhook: %s answers 400 without quoting it', async (_what, body) => {
      // Act
      const answer = await post('/webhook/test-client/my-webhook', body, {
        'content-type': 'application/x-www-form-urlencoded',
      });

      // Assert
      expect(answer.status).toBe(400);
      expect(answer.text).not.toContain(CLIENT_KEY.slice(0, 6));
      expect(stack.output()).not.toContain(CLIENT_KEY.slice(0, 6));
    });

    it('registered webhooks redact Proxy-Authorization (and every credential header) in the run input', async () => {
      // Arrange
      const admin = { 'x-api-key': ACME_KEY, 'x-api-org': 'acme', 'content-type': 'application/json' };
      const created = await post('/api/webhooks', '{}', admin);
      const webhook = created.body as { id: string; verifySecret: string };
      await request(`${stack.url}/api/webhooks/${webhook.id}/workflows/audit`, { method: 'PUT', headers: admin });

      // Act
      const triggered = await post(`/api/trigger-webhooks/${webhook.id}`, '{"a":1}', {
        'content-type': 'application/json',
        'x-verify-signature': webhook.verifySecret,
        'proxy-authorization': 'Basic cHJveHktdXNlcjpwcm94eS1wYXNzd29yZA==',
        cookie: 'session=very-secret-cookie',
      });

      // Assert
      expect(triggered.status).toBe(200);
      const [process] = triggered.body as { executionLink: string }[];
      const arn = decodeURIComponent(process!.executionLink).replace(/^.*\/executions\//, '');
      const input = await inputText(arn);
      expect(input).toContain('"proxy-authorization":"[redacted]"');
      expect(input).not.toContain('cHJveHktdXNlcjpwcm94eS1wYXNzd29yZA');
      expect(input).not.toContain('very-secret-cookie');
      expect(stack.output()).not.toContain('cHJveHktdXNlcjpwcm94eS1wYXNzd29yZA');
    });
  });
});
