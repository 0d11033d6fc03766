import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { run } from '../../../cli/main';
import { MAX_BULK_REPLAY } from '../../../functions/core/deliveries/replay';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { ALL, NOW, recordOf, setup } from '../../support/deliveries-api';

/** The deliveries API on fakes behind a loopback HTTP server, routed as API Gateway routes it. */
async function serve(api: ReturnType<typeof setup>): Promise<{ server: Server; url: string }> {
  const routes: [RegExp, string][] = [
    [/^GET \/api\/deliveries$/, 'GET /api/deliveries'],
    [/^POST \/api\/deliveries\/replay$/, 'POST /api/deliveries/replay'],
    [/^GET \/api\/deliveries\/([^/]+)$/, 'GET /api/deliveries/{id}'],
    [/^POST \/api\/deliveries\/([^/]+)\/replay$/, 'POST /api/deliveries/{id}/replay'],
  ];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const line = `${request.method} ${url.pathname}`;
      const route = routes.find(([pattern]) => pattern.test(line));
      const id = route === undefined ? undefined : route[0].exec(line)?.[1];
      const event = {
        ...httpEvent({
          method: request.method ?? 'GET',
          path: url.pathname,
          routeKey: route?.[1] ?? line,
          headers: request.headers as Record<string, string>,
          ...(id === undefined ? {} : { pathParameters: { id: decodeURIComponent(id) } }),
          ...(chunks.length === 0 ? {} : { body: Buffer.concat(chunks).toString('utf8') }),
        }),
        rawQueryString: url.search.replace(/^\?/, ''),
      };
      void (api.handler(event, testContext) as Promise<APIGatewayProxyStructuredResultV2>).then((result) => {
        response.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json' });
        response.end(result.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('hookflow deliveries', () => {
  let api: ReturnType<typeof setup>;
  let server: Server;
  let env: Record<string, string>;
  beforeEach(async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'queueMicrotask'] });
    jest.setSystemTime(NOW);
    api = setup();
    const served = await serve(api);
    server = served.server;
    env = { HOOKFLOW_URL: served.url, HOOKFLOW_API_KEY: ALL };
  });
  afterEach(async () => {
    jest.useRealTimers();
    await new Promise((resolve) => server.close(resolve));
  });

  const cli = async (...argv: string[]) => {
    const out = { stdout: '', stderr: '' };
    const code = await run(argv, env, {
      print: (text) => void (out.stdout += text),
      error: (text) => void (out.stderr += text),
    });
    return { code, ...out };
  };

  it('lists by correlation id and time range, and gets one delivery with its body and runs', async () => {
    const [stripe] = await api.add(
      recordOf({ at: Date.parse('2026-12-05T10:02:03Z'), correlationId: 'evt_1QbX' }),
      recordOf({ at: Date.parse('2026-12-05T10:03:00Z'), correlationId: 'evt_2' }),
    );

    const listed = await cli(
      'deliveries',
      'list',
      '--correlation-id',
      'evt_1QbX',
      '--from',
      '2026-12-05T10:00:00Z',
      '--to',
      '2026-12-05T10:05:00Z',
    );
    const json = await cli('deliveries', 'list', '--correlation-id', 'evt_1QbX', '-j');
    const shown = await cli('deliveries', 'get', stripe!.id);

    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout.trim().split('\n')).toEqual([
      `${stripe!.id}  2026-12-05T10:02:03.000Z  flow-trigger  hello  failed 503  no run  correlation evt_1QbX  (the workflow engine is busy)`,
    ]);
    expect(JSON.parse(json.stdout).deliveries.map((d: { id: string }) => d.id)).toEqual([stripe!.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('POST /flows/hello/trigger');
    expect(shown.stdout).toContain('{"order":42}');
    expect(shown.stdout).toContain('runs:\n  none');
  });

  it("gets a guarded run known by its execution name only (its guard item expired) with the name and the API's note", async () => {
    const name = `hf-${Math.floor(NOW / 1000) - 3_600}-abc`;
    const [guarded] = await api.add(
      recordOf({
        outcome: 'started',
        status: 202,
        runs: [{ runGuard: `run#arn:aws:states:us-east-1:000000000000:stateMachine:hello#${name}` }],
      }),
    );

    const shown = await cli('deliveries', 'get', guarded!.id);

    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`runs:\n  UNKNOWN  ${name}  (an Express run known by its execution name only`);
    expect(shown.stdout).not.toContain('https://');
  });

  it('replays one delivery, and a second if-no-run replay starts nothing new', async () => {
    const [failed] = await api.add(recordOf());

    const dry = await cli('deliveries', 'replay', failed!.id, '--dry-run');
    const first = await cli('deliveries', 'replay', failed!.id);
    const second = await cli('deliveries', 'replay', failed!.id, '-j');

    expect(dry.stdout).toBe(`${failed!.id}  would-start\n`);
    expect(first.stdout).toMatch(new RegExp(`^${failed!.id}  started as dlv_\\w+  https://console.example/`));
    expect(JSON.parse(second.stdout)).toMatchObject({ outcome: 'deduplicated' });
    expect(api.engine.started).toHaveLength(1);
  });

  it('replays every match of a filter: counts first, starts only with --yes, following next, never twice', async () => {
    // Arrange: more than one page of deliveries of the last hour that started nothing
    const count = MAX_BULK_REPLAY + 3;
    await api.add(...Array.from({ length: count }, (_, i) => recordOf({ at: NOW - 60_000 - i * 1_000 })));

    // Act
    const counted = await cli('deliveries', 'replay', '--since', '1h');
    const startedNothing = api.engine.started.length;
    const replayed = await cli('deliveries', 'replay', '--since', '1h', '--yes');
    const again = await cli('deliveries', 'replay', '--since', '1h', '--yes');

    // Assert
    expect(counted.stdout).toBe(
      `${count} deliveries match from 2026-12-05T10:00:00.000Z to 2026-12-05T11:00:00.000Z; ${count} would start (mode if-no-run)\n` +
        'run the same command with --yes to start them\n',
    );
    expect(startedNothing).toBe(0);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toContain(`started ${count} of ${count} matching`);
    expect(api.engine.started).toHaveLength(count);
    expect(again.stdout).toContain(`; 0 would start`);
    expect(api.engine.started).toHaveLength(count);
  });

  it("refuses a bad mode or duration before calling anything, and reports the API's 400", async () => {
    const mode = await cli('deliveries', 'replay', 'dlv_x', '--mode', 'twice');
    const since = await cli('deliveries', 'list', '--since', 'yesterday');
    const refused = await cli('deliveries', 'list', '--limit', '1000');

    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain('--mode "twice": if-no-run or force');
    expect(since.code).toBe(2);
    expect(refused).toMatchObject({
      code: 1,
      stderr: 'hookflow: 400 limit "1000" must be a whole number from 1 to 100',
    });
  });
});
