import type { Page, Request } from 'playwright-core';

/**
 * Canned deliveries API answers (docs/deliveries.md's shapes) for the console's page-only browser test and the
 * screenshot before a stack has records: Playwright answers /api/* itself (page.route), so the page runs exactly
 * as served, against a fake API. The real API is driven by test/browser/console.browser.test.ts.
 */
export const FIXTURE_KEY = 'hf_fixture_key';

const b64 = (text: string) => Buffer.from(text).toString('base64');

interface FixtureDelivery {
  id: string;
  style: string;
  registration: string;
  receivedAt: string;
  method: string;
  path: string;
  outcome: string;
  status: number;
  reason?: string;
  correlationId?: string;
  runs: { executionArn?: string; status?: string; link?: string }[];
  headers: Record<string, string>;
  body: { bytes: number; sha256: string; inline?: string };
  expiresAt: number;
}

const arn = (n: number) => `arn:aws:states:us-east-1:000000000000:express:hookflow-echo:run-${n}`;

function delivery(n: number, fields: Partial<Omit<FixtureDelivery, 'body'>> & { body?: string }): FixtureDelivery {
  const body = fields.body ?? `{"order":${n}}`;
  const { body: _body, ...rest } = fields;
  return {
    // ULIDs sort by time: the newer the delivery (smaller n), the larger its id.
    id: `dlv_01JF${String(100 - n).padStart(22, '0')}`,
    style: 'flow-trigger',
    registration: 'hello',
    receivedAt: new Date(Date.UTC(2026, 11, 5, 10, 2, 0) - n * 60_000).toISOString(),
    method: 'POST',
    path: '/flows/hello/trigger',
    outcome: 'started',
    status: 202,
    runs: [{ executionArn: arn(n), status: 'SUCCEEDED', link: `https://console.example/executions/${arn(n)}` }],
    headers: { 'content-type': 'application/json', authorization: '[redacted]', 'user-agent': 'Stripe/1.0' },
    body: { bytes: Buffer.byteLength(body), sha256: 'e3b0c44298fc1c149afbf4c8996fb924', inline: b64(body) },
    expiresAt: 1_800_000_000,
    ...rest,
  };
}

/**
 * Thirty deliveries, newest first (more than the smallest page: the list pages with `next`); the second carries
 * markup in a header, its correlation id and its body, all of which must stay text.
 */
export const FIXTURE_DELIVERIES: readonly FixtureDelivery[] = [
  delivery(1, {
    correlationId: 'evt_1QStripe1002',
    headers: { 'stripe-signature': '[redacted]', 'content-type': 'application/json' },
  }),
  delivery(2, {
    style: 'registered-webhooks',
    registration: 'wh_orders',
    path: '/api/trigger-webhooks/wh_orders',
    outcome: 'refused',
    status: 401,
    reason: 'signature does not match',
    runs: [],
    correlationId: '<img src=x onerror=alert(1)>',
    headers: { 'x-evil': '<script>window.__pwned = true</script>', 'content-type': 'text/plain' },
    body: '<script>window.__pwned = true</script><b>bold?</b>',
  }),
  delivery(3, {
    style: 'inbound',
    registration: 'workflow name',
    path: '/inbound',
    outcome: 'deduplicated',
    status: 202,
  }),
  delivery(4, { outcome: 'failed', status: 503, reason: 'the workflow engine is busy; retry after 1 s', runs: [] }),
  delivery(5, { style: 'events', registration: 'approval', path: '/api/v2/webhook', correlationId: 'ce-42' }),
  delivery(6, {
    style: 'client-webhook',
    registration: 'test-client/my-webhook',
    path: '/webhook/test-client/my-webhook',
  }),
  ...Array.from({ length: 24 }, (_, i) => delivery(i + 7, {})),
];

export interface FixtureApi {
  /** Every /api request the page sent, in order. */
  readonly requests: Request[];
}

/** Answers /api/deliveries* on `page` from FIXTURE_DELIVERIES; any key but FIXTURE_KEY gets 401 {"error"}. */
export async function routeFixtureApi(page: Page): Promise<FixtureApi> {
  const requests: Request[] = [];
  const replayed = new Set<string>();
  await page.route('**/api/**', async (route) => {
    const request = route.request();
    requests.push(request);
    const url = new URL(request.url());
    const json = (status: number, body: unknown) =>
      route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
    if (request.headers().authorization !== `Bearer ${FIXTURE_KEY}`) {
      return json(401, { error: 'invalid API key' });
    }
    if (request.method() === 'GET' && url.pathname === '/api/deliveries') {
      const q = url.searchParams;
      if (q.has('from') && Number.isNaN(Date.parse(q.get('from')!))) {
        return json(400, { error: `from: "${q.get('from')}" is not an ISO 8601 time` });
      }
      const matching = FIXTURE_DELIVERIES.filter(
        (d) =>
          (!q.has('style') || d.style === q.get('style')) &&
          (!q.has('outcome') || d.outcome === q.get('outcome')) &&
          (!q.has('registration') || d.registration === q.get('registration')) &&
          (!q.has('correlationId') || d.correlationId === q.get('correlationId')) &&
          (!q.has('cursor') || d.id < q.get('cursor')!),
      );
      const limit = Number(q.get('limit') ?? 50);
      const page = matching
        .slice(0, limit)
        .map(({ headers: _h, body, ...summary }) => ({ ...summary, bodyBytes: body.bytes }));
      return json(200, { deliveries: page, ...(matching.length > limit ? { next: page[page.length - 1]!.id } : {}) });
    }
    const one = /^\/api\/deliveries\/([^/]+)(\/replay)?$/.exec(url.pathname);
    const found = one === null ? undefined : FIXTURE_DELIVERIES.find((d) => d.id === decodeURIComponent(one[1]!));
    if (one !== null && found === undefined) return json(404, { error: 'no such delivery' });
    if (request.method() === 'GET' && found !== undefined && one?.[2] === undefined) return json(200, found);
    if (request.method() === 'POST' && found !== undefined) {
      const { mode, dryRun } = request.postDataJSON() as { mode: string; dryRun: boolean };
      const starts = mode === 'force' || (found.runs.length === 0 && !replayed.has(found.id));
      if (dryRun) return json(200, { dryRun: true, mode, count: starts ? 1 : 0, deliveries: starts ? [found.id] : [] });
      if (starts) replayed.add(found.id);
      return json(200, {
        mode,
        started: starts ? 1 : 0,
        replays: starts ? [{ replayOf: found.id, id: `${found.id}R` }] : [],
      });
    }
    return json(404, { error: `no route for ${request.method()} ${url.pathname}` });
  });
  return { requests };
}
