import type { Page, Request } from 'playwright-core';

/**
 * Canned deliveries API answers (docs/deliveries.md's shapes) for the console's page-only browser test and the
 * screenshot before a stack has records: Playwright answers /api/* itself (page.route), so the page runs exactly
 * as served, against a fake API. The real API is driven by test/browser/console.browser.test.ts.
 */
export const FIXTURE_KEY = 'hf_fixture_key';

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
  runs: {
    executionArn?: string;
    executionName?: string;
    status?: string;
    statusNote?: string;
    executionLink?: string;
  }[];
  headers: Record<string, string>;
  body: { bytes: number; sha256: string; kept: boolean; encoding?: string; text?: string; base64?: string };
  expiresAt: number;
}

const arn = (n: number) => `arn:aws:states:us-east-1:000000000000:express:hookflow-echo:run-${n}`;

function delivery(n: number, fields: Partial<Omit<FixtureDelivery, 'body'>> & { body?: string }): FixtureDelivery {
  const body = fields.body ?? `{"order":${n}}`;
  const { body: _body, ...rest } = fields;
  return {
    // ULIDs sort by time: the newer the delivery (smaller n), the larger its id.
    id: `dlv_01JF${String(1000 - n).padStart(22, '0')}`,
    style: 'flow-trigger',
    registration: 'hello',
    receivedAt: new Date(Date.UTC(2026, 11, 5, 10, 2, 0) - n * 60_000).toISOString(),
    method: 'POST',
    path: '/flows/hello/trigger',
    outcome: 'started',
    status: 202,
    runs: [
      { executionArn: arn(n), status: 'SUCCEEDED', executionLink: `https://console.example/executions/${arn(n)}` },
    ],
    headers: { 'content-type': 'application/json', authorization: '[redacted]', 'user-agent': 'Stripe/1.0' },
    body: { bytes: Buffer.byteLength(body), sha256: 'e3b0c44298fc1c14', kept: true, encoding: 'utf8', text: body },
    expiresAt: 1_800_000_000,
    ...rest,
  };
}

/**
 * Sixty deliveries, newest first (more than a page of the list and of a bulk replay: both page with `next`); the second carries
 * markup in a header, its correlation id and its body, all of which must stay text.
 */
export const FIXTURE_DELIVERIES: readonly FixtureDelivery[] = [
  delivery(1, {
    body: '{"id":"evt_1QStripe1002","type":"payment_intent.succeeded","data":{"object":{"amount":4200,"currency":"eur"}}}',
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
  // A guarded Express run read after its dedupe window: its name only, no ARN and no link (docs/deliveries.md).
  delivery(7, {
    runs: [
      {
        executionName: 'hf-1764928920-AbC_dEf',
        status: 'UNKNOWN',
        statusNote: 'an Express run known by its execution name only',
      },
    ],
  }),
  ...Array.from({ length: 53 }, (_, i) => delivery(i + 8, {})),
];

export interface FixtureApi {
  /** Every /api request the page sent, in order. */
  readonly requests: Request[];
}

/** What one replay of `d` answers, per docs/deliveries.md: would-start, started, skipped, or a 409 for a refusal. */
function replayAnswer(d: FixtureDelivery, mode: string, dryRun: boolean, replayed: Set<string>) {
  if (d.outcome === 'refused') {
    return {
      status: 409,
      body: { error: `delivery "${d.id}" was refused (${d.reason}): a refused request is not replayed` },
    };
  }
  const starts = mode === 'force' || (d.outcome === 'failed' && !replayed.has(d.id));
  const base = { deliveryId: d.id, mode, dryRun };
  if (!starts) return { status: 200, body: { ...base, outcome: 'skipped', reason: `the delivery was ${d.outcome}` } };
  if (dryRun) return { status: 200, body: { ...base, outcome: 'would-start' } };
  replayed.add(d.id);
  return {
    status: 202,
    body: { ...base, outcome: 'started', replay: `${d.id.slice(0, -1)}R`, runs: [{ executionArn: arn(99) }] },
  };
}

/** MAX_BULK_REPLAY: the deliveries one bulk replay call examines. */
const BULK_PAGE = 50;

/**
 * Answers /api/deliveries* on `page` from FIXTURE_DELIVERIES, in the API's shapes and errors (docs/deliveries.md);
 * any key but FIXTURE_KEY gets 401 {"error"}.
 */
export async function routeFixtureApi(page: Page): Promise<FixtureApi> {
  const requests: Request[] = [];
  const replayed = new Set<string>();
  const matching = (q: { get(name: string): string | null | undefined }) =>
    FIXTURE_DELIVERIES.filter(
      (d) =>
        (!q.get('style') || d.style === q.get('style')) &&
        (!q.get('outcome') || d.outcome === q.get('outcome')) &&
        (!q.get('registration') || d.registration === q.get('registration')) &&
        (!q.get('correlationId') || d.correlationId === q.get('correlationId')) &&
        (!q.get('cursor') || d.id < q.get('cursor')!),
    );
  const range = { from: '2026-12-04T10:02:00.000Z', to: '2026-12-05T10:02:00.000Z' };
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
      if (q.has('from') && !/[zZ]|[+-]\d\d:\d\d$/.test(q.get('from')!)) {
        return json(400, { error: `from: "${q.get('from')}" is not ISO 8601 with a time zone` });
      }
      const found = matching(q);
      const limit = Number(q.get('limit') ?? 25);
      const items = found
        .slice(0, limit)
        .map(({ headers: _h, body, ...summary }) => ({ ...summary, bodyBytes: body.bytes }));
      const next = found.length > limit ? { next: items[items.length - 1]!.id } : {};
      return json(200, { deliveries: items, ...range, ...next });
    }
    if (request.method() === 'POST' && url.pathname === '/api/deliveries/replay') {
      const { filter, mode, dryRun, expect, cursor } = request.postDataJSON() as {
        filter: Record<string, string>;
        mode: string;
        dryRun: boolean;
        expect?: number;
        cursor?: string;
      };
      const found = matching(new Map(Object.entries({ ...filter, cursor })));
      const examined = found.slice(0, BULK_PAGE);
      // In a bulk replay a refused delivery is skipped with its reason, never a 409 for the whole call.
      const item = (d: FixtureDelivery, dry: boolean): Record<string, unknown> =>
        d.outcome === 'refused'
          ? { deliveryId: d.id, outcome: 'skipped', reason: `refused: ${d.reason}` }
          : replayAnswer(d, mode, dry, replayed).body;
      const dry = examined.map((d) => item(d, true));
      const wouldStart = dry.filter((item) => item.outcome === 'would-start').length;
      if (!dryRun && expect !== wouldStart) {
        return json(409, { error: `expected ${expect} replays to start, ${wouldStart} would now: dry-run again` });
      }
      const items = dryRun ? dry : examined.map((d) => item(d, false));
      const next = found.length > BULK_PAGE ? { next: examined[examined.length - 1]!.id } : {};
      return json(200, {
        filter: { ...range, ...filter },
        mode,
        dryRun,
        matched: examined.length,
        wouldStart,
        ...(dryRun ? {} : { started: items.filter((i) => i.outcome === 'started').length }),
        deliveries: items,
        ...next,
      });
    }
    const one = /^\/api\/deliveries\/([^/]+)(\/replay)?$/.exec(url.pathname);
    const found = one === null ? undefined : FIXTURE_DELIVERIES.find((d) => d.id === decodeURIComponent(one[1]!));
    if (one !== null && found === undefined) {
      return json(404, { error: `delivery "${decodeURIComponent(one[1]!)}" not found` });
    }
    if (request.method() === 'GET' && found !== undefined && one?.[2] === undefined) {
      return json(200, { delivery: found });
    }
    if (request.method() === 'POST' && found !== undefined) {
      const { mode, dryRun } = request.postDataJSON() as { mode: string; dryRun: boolean };
      const answer = replayAnswer(found, mode, dryRun, replayed);
      return json(answer.status, answer.body);
    }
    return json(404, { error: `no route for ${request.method()} ${url.pathname}` });
  });
  return { requests };
}
