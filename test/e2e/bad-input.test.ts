import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import { removeDataDir, type RunningStack, startLocalStack } from '../support/local-stack';

jest.setTimeout(240_000);

/** Cases per target: bounded, so the whole suite stays well under a minute on a 2-core machine. */
const RUNS = 40;

interface Sent {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
}

/** One request over loopback; a header name given twice is sent as two header lines, as a hostile client can. */
function send(url: string, method: string, pairs: [string, string][], body?: Buffer | string): Promise<Sent> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [existing, value].flat();
  }
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---- what "bad" means, shared by every route ----
const notJson = (text: string) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
};
const invalidJson = fc.oneof(
  fc.string({ minLength: 1, maxLength: 200 }).filter((t) => t.trim() !== '' && notJson(t)),
  fc.constantFrom('{', '{"a":', '[1,2', '{"a":1,}', 'NaN', "{'a':1}", '{"a":1}}', '\u0000', '{"a":"\\x"}'),
);
const nonObject = fc
  .oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 50 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  )
  .map((value) => JSON.stringify(value));
const deep = fc.integer({ min: 65, max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
const deepArray = fc.integer({ min: 65, max: 20_000 }).map((depth) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
/** Valid JSON around bytes that are not UTF-8 (0xFF never is). */
const badUtf8 = fc
  .uint8Array({ maxLength: 32 })
  .map((bytes) =>
    Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from(bytes), Buffer.from('"}')]),
  );
/** Over MAX_STORED_BODY_BYTES (4 MiB; MAX_BODY_BYTES is 240 KiB), under Lambda's 6 MB event and the gateway's 10 MB. */
const huge = fc.integer({ min: 4_194_400, max: 4_400_000 }).map((size) => `{"a":"${'x'.repeat(size)}"}`);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
);
const badBody = fc.oneof(invalidJson, nonObject, deep, deepArray, badUtf8, huge);
const badObjectBody = fc.oneof(invalidJson, deep, deepArray, badUtf8, huge); // for routes that take any JSON value
/** Extra headers a hostile client adds: repeats, odd values, one far over API Gateway's header limit. */
const noise = fc.oneof(
  fc.constant([] as [string, string][]),
  fc.constant([
    ['x-api-key', 'a'],
    ['x-api-key', 'b'],
  ] as [string, string][]),
  fc.constant([
    ['idempotency-key', 'x'],
    ['idempotency-key', 'y'],
  ] as [string, string][]),
  fc.constant([['x-padding', 'p'.repeat(11_000)]] as [string, string][]),
  fc.string({ maxLength: 40 }).map((value) => [['x-odd', value.replace(/[^\x20-\x7e]/g, '?')]] as [string, string][]),
);
const idPath = fc.oneof(
  fc.string({ minLength: 1, maxLength: 80 }).map(encodeURIComponent),
  fc.constantFrom('..', '%00', '%E0%A4%A', 'a'.repeat(300), '%2F%2F', '-%20-'),
);

interface Target {
  readonly name: string;
  readonly method: string;
  readonly path: (id: string) => string;
  readonly headers: [string, string][];
  readonly bodies?: fc.Arbitrary<Buffer | string>;
  readonly ids?: boolean;
}

describe('bad input on every route (property-based, fast-check)', () => {
  let stack: RunningStack;
  let sfn: SFNClient;
  let webhookId: string;
  const tally: Record<string, number> = {};

  async function executionCount(): Promise<number> {
    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    let count = 0;
    for (const machine of stateMachines) {
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, maxResults: 1000, nextToken }),
        );
        count += page.executions?.length ?? 0;
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
    }
    return count;
  }

  beforeAll(async () => {
    stack = await startLocalStack();
    sfn = new SFNClient({
      endpoint: stack.sfnEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const created = await send(
      `${stack.url}/api/webhooks`,
      'POST',
      [
        ['x-api-key', 'hf_local_acme_admin_key'],
        ['x-api-org', 'acme'],
        ['content-type', 'application/json'],
      ],
      '{"verifySecret":"fuzz-secret-0123456789"}',
    );
    webhookId = (JSON.parse(created.text) as { id: string }).id;
    await send(`${stack.url}/api/webhooks/${webhookId}/workflows/audit`, 'PUT', [
      ['x-api-key', 'hf_local_acme_admin_key'],
      ['x-api-org', 'acme'],
    ]);
  });
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
    const total = Object.values(tally).reduce((a, b) => a + b, 0);
    process.stdout.write(`bad-input cases sent: ${total} (${JSON.stringify(tally)})\n`);
  });

  const ADMIN: [string, string][] = [
    ['x-api-key', 'hf_local_acme_admin_key'],
    ['x-api-org', 'acme'],
  ];
  const targets: Target[] = [
    {
      name: 'flow trigger',
      method: 'POST',
      path: () => '/flows/hello/trigger',
      headers: [['authorization', 'Bearer hf_local_dev_key']],
      bodies: badBody,
    },
    {
      name: 'client webhook',
      method: 'POST',
      path: () => '/webhook/test-client/my-webhook?key=my-secret-api-key',
      headers: [],
      bodies: badObjectBody,
    },
    { name: 'client webhook path', method: 'GET', path: (id) => `/webhook/${id}/${id}`, headers: [], ids: true },
    {
      name: 'inbound',
      method: 'POST',
      path: () => '/inbound',
      headers: [['inbound-webhook-secret', 'hf_local_inbound_secret']],
      bodies: fc.oneof(
        badBody,
        fc
          .jsonValue({ maxDepth: 3 })
          .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v) || !('workflow' in v))
          .map((v) => JSON.stringify(v) ?? 'null'),
        fc
          .record({
            workflow: fc.oneof(fc.integer(), fc.constant(''), fc.constant('no such workflow')),
            batch: fc.option(fc.oneof(fc.integer(), fc.array(fc.integer(), { minLength: 1 }), fc.constant([]))),
          })
          .map((v) => JSON.stringify(v)),
      ),
    },
    {
      name: 'inbound run status',
      method: 'GET',
      path: (id) => `/inbound/runs/${id}`,
      headers: [['inbound-webhook-secret', 'hf_local_inbound_secret']],
      ids: true,
    },
    { name: 'event webhook', method: 'POST', path: () => '/api/v2/webhook?ref=approval', headers: [], bodies: badBody },
    {
      name: 'event intake',
      method: 'POST',
      path: () => '/api/v2/event',
      headers: [['content-type', 'application/cloudevents+json']],
      bodies: fc.oneof(
        badBody,
        fc
          .record({
            specversion: fc.constantFrom('1.0', '0.3', 1),
            id: fc.option(fc.string(), { nil: undefined }),
            type: fc.option(fc.integer(), { nil: undefined }),
          })
          .map((v) => JSON.stringify(v)),
      ),
    },
    {
      name: 'callback',
      method: 'POST',
      path: () => '/api/v2/callback?ref=fuzz-run&topic=approval',
      headers: [],
      bodies: badBody,
    },
    {
      name: 'callback query',
      method: 'GET',
      path: (id) => `/api/v2/callback?ref=${id}&status=${id}`,
      headers: [],
      ids: true,
    },
    {
      name: 'create webhook',
      method: 'POST',
      path: () => '/api/webhooks',
      headers: ADMIN,
      bodies: fc.oneof(
        fc.oneof(invalidJson, nonObject, deep, badUtf8, huge).filter((b) => b !== '{}' && b !== 'null'),
        fc.record({ verifySecret: fc.oneof(fc.integer(), fc.string({ maxLength: 15 })) }).map((v) => JSON.stringify(v)),
        fc.record({ verifier: fc.oneof(fc.string(), fc.record({ kind: fc.string() })) }).map((v) => JSON.stringify(v)),
        fc
          .dictionary(
            fc.string({ minLength: 1 }).filter((k) => !['verifySecret', 'verifier', 'replay', '__proto__'].includes(k)),
            fc.jsonValue(),
            { minKeys: 1, maxKeys: 3 },
          )
          .map((v) => JSON.stringify(v)),
      ),
    },
    { name: 'webhook by id', method: 'DELETE', path: (id) => `/api/webhooks/${id}`, headers: ADMIN, ids: true },
    { name: 'bind', method: 'PUT', path: (id) => `/api/webhooks/${id}/workflows/${id}`, headers: ADMIN, ids: true },
    { name: 'process', method: 'GET', path: (id) => `/api/processes/${id}`, headers: ADMIN, ids: true },
    {
      name: 'trigger webhook',
      method: 'POST',
      path: () => `/api/trigger-webhooks/${webhookId}`,
      headers: [
        ['x-verify-signature', 'fuzz-secret-0123456789'],
        ['content-type', 'application/json'],
      ],
      bodies: fc.oneof(invalidJson, deep, deepArray, badUtf8, huge),
    },
    {
      name: 'trigger unknown webhook',
      method: 'POST',
      path: (id) => `/api/trigger-webhooks/${id}`,
      headers: [['x-verify-signature', 'x']],
      ids: true,
    },
  ];

  it.each(targets.map((t) => [t.name, t] as const))(
    '%s: every malformed request gets a clear 4xx, and starts nothing',
    async (_name, target) => {
      const before = await executionCount();
      await fc.assert(
        fc.asyncProperty(
          target.ids === true ? idPath : fc.constant(''),
          target.bodies ?? fc.constant(undefined),
          contentType,
          noise,
          async (id, body, type, extra) => {
            const explicitType = target.headers.some(([name]) => name === 'content-type');
            const headers: [string, string][] = [
              ...target.headers,
              ...(explicitType ? [] : [['content-type', type] as [string, string]]),
              ...extra,
            ];
            const response = await send(`${stack.url}${target.path(id)}`, target.method, headers, body);
            tally[target.name] = (tally[target.name] ?? 0) + 1;
            const where = `${target.method} ${target.path(id).slice(0, 80)} -> ${response.status} ${response.text.slice(0, 200)}`;
            expect({ where, fourXX: response.status >= 400 && response.status < 500 }).toEqual({ where, fourXX: true });
            expect(response.contentType).toMatch(/^application\/json/);
            const parsed = JSON.parse(response.text) as { error?: unknown };
            expect(typeof parsed.error).toBe('string');
            expect(response.text).not.toMatch(/\n\s+at |Error: |node_modules|\.ts:\d+/);
          },
        ),
        { numRuns: RUNS },
      );
      expect(await executionCount()).toBe(before);
    },
  );
});
