import type { BrowserContext, Page } from 'playwright-core';
import { type RunningBrowser, launchChromium } from '../support/browser';
import { FIXTURE_DELIVERIES, FIXTURE_KEY, type FixtureApi, routeFixtureApi } from '../support/console-fixtures';
import { serveConsolePage } from '../support/console-page';

/**
 * The console page in Debian's Chromium, against a fake deliveries API (Playwright answers /api/* with
 * fixtures): the page's own behaviour, needing nothing but its handler. The same page against the real API and
 * local stack: console.browser.test.ts.
 */
jest.setTimeout(60_000);

let chromium: RunningBrowser;
let site: { url: string; close(): Promise<void> };
let context: BrowserContext;
let page: Page;
let api: FixtureApi;
/** CSP violations the browser reported, and script errors: both must stay empty but where a test provokes one. */
let violations: string[];
let pageErrors: string[];

beforeAll(async () => {
  [chromium, site] = await Promise.all([launchChromium(), serveConsolePage()]);
});

afterAll(async () => {
  await chromium?.close();
  await site?.close();
});

beforeEach(async () => {
  context = await chromium.browser.newContext();
  page = await context.newPage();
  violations = [];
  pageErrors = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  api = await routeFixtureApi(page);
  await page.goto(`${site.url}/console`);
});

afterEach(async () => {
  await context.close();
});

async function enterKey(key: string): Promise<void> {
  await page.fill('#key-input', key);
  await page.click('#key-form button[type=submit]');
}

const rows = () => page.locator('#deliveries tbody tr');
/**
 * Page-side code is passed as strings: the tests typecheck without the DOM library, which would leak browser
 * globals into every Node file of the program. (page.waitForFunction is out: it evaluates its predicate with
 * eval, which the page's CSP refuses.)
 */
const storage = () =>
  page.evaluate(
    '({ session: Object.fromEntries(Object.entries(sessionStorage)), local: Object.fromEntries(Object.entries(localStorage)), cookie: document.cookie })',
  );
/** Waits for the n-th row (a search empties the list as it starts, More appends), then checks there are n. */
const rowCountIs = async (n: number) => {
  await rows()
    .nth(n - 1)
    .waitFor();
  expect(await rows().count()).toBe(n);
};
const rowIds = () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));

describe('the console page in Chromium, with fixture API answers', () => {
  it('asks for a key, keeps it in sessionStorage only, sends it as a Bearer token, and forgets it', async () => {
    await expectVisible('#key-form');

    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();

    expect(await storage()).toEqual({ session: { 'hookflow.console.apiKey': FIXTURE_KEY }, local: {}, cookie: '' });
    expect(await context.cookies()).toEqual([]);
    expect(api.requests.map((r) => r.headers().authorization)).toEqual([`Bearer ${FIXTURE_KEY}`]);
    expect(await page.inputValue('#key-input')).toBe('');

    await page.click('#forget-key');

    expect(await storage()).toEqual({ session: {}, local: {}, cookie: '' });
    await expectVisible('#key-form');
    expect(await rows().count()).toBe(0);
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('keeps the key to its tab: another tab of the same browser asks again', async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();

    const other = await context.newPage();
    await other.goto(`${site.url}/console`);

    expect(await other.evaluate('sessionStorage.length')).toBe(0);
    expect(await other.isVisible('#key-form')).toBe(true);
  });

  it("shows the API's error as it is: a wrong key's 401 {error}", async () => {
    await enterKey('hf_wrong');

    await page.locator('#error:not([hidden])').waitFor();

    expect(await page.textContent('#error')).toBe('GET /api/deliveries answered 401: invalid API key');
    expect(await rows().count()).toBe(0);
  });

  it('lists deliveries newest first, pages with next, and filters', async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();
    await page.selectOption('select[name=limit]', '25');
    await page.click('#filters button[type=submit]');
    await rowCountIs(25);

    await page.click('#more');
    await rowCountIs(50);
    await page.click('#more');
    await rowCountIs(60);

    expect(await rowIds()).toEqual(FIXTURE_DELIVERIES.map((d) => d.id));
    expect(new URL(api.requests.at(-1)!.url()).searchParams.get('cursor')).toBe(FIXTURE_DELIVERIES[49]!.id);
    await expectHidden('#more');
    expect(await page.textContent('#range')).toBe(
      'Received from 2026-12-04 10:02:00Z to 2026-12-05 10:02:00Z, newest first',
    );

    await page.selectOption('select[name=outcome]', 'refused');
    await page.fill('input[name=correlationId]', '<img src=x onerror=alert(1)>');
    await page.fill('input[name=from]', '2026-12-05T09:00:00');
    await page.click('#filters button[type=submit]');
    await rowCountIs(1);

    const query = new URL(api.requests.at(-1)!.url()).searchParams;
    expect(Object.fromEntries(query)).toMatchObject({
      outcome: 'refused',
      correlationId: '<img src=x onerror=alert(1)>',
      limit: '25',
    });
    expect(Number.isNaN(Date.parse(query.get('from')!))).toBe(false);
    expect(await rows().first().getAttribute('data-id')).toBe(FIXTURE_DELIVERIES[1]!.id);
  });

  it('shows one delivery with its headers, body, outcome and runs, markup kept as text', async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();

    await rows().nth(1).locator('button.link').click();
    await expectVisible('#detail');

    expect(await page.textContent('#detail-body')).toBe('<script>window.__pwned = true</script><b>bold?</b>');
    expect(await page.locator('#detail-headers').innerText()).toContain('<script>window.__pwned = true</script>');
    expect(await page.locator('#detail-fields').innerText()).toContain('signature does not match');
    expect(await page.locator('#detail script, #detail b, #detail img, #deliveries img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    await rows().first().locator('button.link').click();
    await page.locator('#detail-id', { hasText: FIXTURE_DELIVERIES[0]!.id }).waitFor();
    const run = page.locator('#detail-runs tbody tr').first();
    expect(await run.innerText()).toContain('SUCCEEDED');
    expect(await run.locator('a').getAttribute('href')).toBe(FIXTURE_DELIVERIES[0]!.runs[0]!.executionLink);
    expect(await run.locator('a').getAttribute('rel')).toBe('noopener noreferrer');
    expect(JSON.parse((await page.textContent('#detail-body'))!)).toMatchObject({ id: 'evt_1QStripe1002' });
    expect(pageErrors).toEqual([]);
  });

  it('shows a run known by its execution name only by that name, its note on the status, with no link', async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();
    const named = FIXTURE_DELIVERIES[6]!;

    await rows().nth(6).locator('button.link').click();
    await page.locator('#detail-id', { hasText: named.id }).waitFor();
    const run = page.locator('#detail-runs tbody tr').first();

    expect(await run.innerText()).toContain(named.runs[0]!.executionName!);
    expect(await run.innerText()).not.toContain('not started yet');
    expect(await run.locator('.status').getAttribute('title')).toBe(named.runs[0]!.statusNote);
    expect(await run.locator('a').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('replays one delivery: the dry run and its count first, nothing started until confirmed', async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();
    const failed = FIXTURE_DELIVERIES[3]!;
    await rows().nth(3).locator('button.link').click();
    await expectVisible('#detail');

    await page.click('#preview-one');
    await expectVisible('#preview');

    expect(await page.textContent('#preview-summary')).toBe(
      `Dry run of delivery ${failed.id}, mode if-no-run: 1 of 1 would start. Nothing has started yet.`,
    );
    expect(await page.textContent('#confirm-replay')).toBe('Start 1 replay');
    expect(posts()).toEqual([{ mode: 'if-no-run', dryRun: true }]);

    await page.click('#confirm-replay');
    await expectVisible('#notice');

    expect(posts()).toEqual([
      { mode: 'if-no-run', dryRun: true },
      { mode: 'if-no-run', dryRun: false },
    ]);
    expect(await page.textContent('#notice-text')).toBe('Replayed, mode if-no-run: 1 started.');
    expect(await page.locator('#notice-items li').allTextContents()).toEqual([`${failed.id}: started`]);
  });

  it("previews a selection one delivery at a time: a refusal's 409 shown as the API wrote it, the others still counted", async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();
    for (const n of [0, 1, 2]) await rows().nth(n).locator('input[type=checkbox]').check();
    await page.selectOption('#replay-mode', 'force');

    await page.click('#preview-selected');
    await expectVisible('#preview');

    const [first, refused, third] = FIXTURE_DELIVERIES;
    expect(await page.textContent('#preview-summary')).toBe(
      'Dry run of the 3 selected deliveries, mode force: 2 of 3 would start. Nothing has started yet.',
    );
    expect(await page.locator('#preview-items li').allTextContents()).toEqual([
      `${first!.id}: would-start`,
      `${refused!.id}: error (409: delivery "${refused!.id}" was refused (signature does not match): a refused request is not replayed)`,
      `${third!.id}: would-start`,
    ]);

    await page.click('#confirm-replay');
    await expectVisible('#notice');

    expect(posts().filter((body) => body.dryRun === false)).toEqual([
      { mode: 'force', dryRun: false },
      { mode: 'force', dryRun: false },
    ]);
    expect(await page.textContent('#notice-text')).toBe('Replayed, mode force: 2 started.');
  });

  it('replays everything matching the filter page by page, each page confirmed with its own dry-run count', async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();
    await page.selectOption('#replay-mode', 'force');

    await page.click('#preview-filter');
    await expectVisible('#preview');

    expect(await page.textContent('#preview-summary')).toBe(
      'Dry run of every delivery matching the filter, mode force: 59 of 60 would start. Nothing has started yet.',
    );
    expect(await page.textContent('#confirm-replay')).toBe('Start 59 replays');
    const dryRuns = bulkCalls();
    expect(dryRuns.map(({ dryRun, cursor }) => ({ dryRun, cursor }))).toEqual([
      { dryRun: true, cursor: undefined },
      { dryRun: true, cursor: FIXTURE_DELIVERIES[49]!.id },
    ]);
    expect(typeof dryRuns[0]!.filter.to).toBe('string');

    await page.click('#confirm-replay');
    await expectVisible('#notice');

    expect(bulkCalls().slice(2)).toEqual([
      { filter: dryRuns[1]!.filter, mode: 'force', dryRun: false, expect: 49 },
      { filter: dryRuns[1]!.filter, mode: 'force', dryRun: false, expect: 10, cursor: FIXTURE_DELIVERIES[49]!.id },
    ]);
    expect(await page.textContent('#notice-text')).toBe(
      'Replayed, mode force: 59 started, 1 not started (listed below).',
    );
  });

  it("starts nothing on a page whose count changed since its dry run, and shows the API's 409 as it is", async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();
    await page.selectOption('select[name=outcome]', 'failed');
    await page.click('#filters button[type=submit]');
    await rowCountIs(1);
    await page.click('#preview-filter');
    await expectVisible('#preview');
    expect(await page.textContent('#confirm-replay')).toBe('Start 1 replay');

    // Meanwhile someone else replays that delivery: the page's count is now 0.
    await page.evaluate(
      `fetch('/api/deliveries/${FIXTURE_DELIVERIES[3]!.id}/replay', { method: 'POST', headers: { authorization: 'Bearer ${FIXTURE_KEY}' }, body: JSON.stringify({ mode: 'if-no-run', dryRun: false }) })`,
    );
    await page.click('#confirm-replay');
    await page.locator('#error:not([hidden])').waitFor();

    expect(await page.textContent('#error')).toBe(
      'POST /api/deliveries/replay answered 409: expected 1 replays to start, 0 would now: dry-run again',
    );
    expect(await page.textContent('#notice-text')).toBe('Replayed, mode if-no-run: 0 started.');
  });

  it('is held by its Content-Security-Policy: an injected inline script does not run', async () => {
    await page.evaluate(
      "const script = document.createElement('script'); script.textContent = 'window.__inline = true'; document.body.append(script);",
    );

    expect(await page.evaluate('window.__inline')).toBeUndefined();
    expect(violations.length).toBeGreaterThan(0);
  });
});

/** The bodies of the page's replay calls (POST), in order. */
const posts = () =>
  api.requests.filter((r) => r.method() === 'POST').map((r) => r.postDataJSON() as Record<string, unknown>);
/** The bodies of the page's bulk replay calls, in order. */
const bulkCalls = () =>
  api.requests
    .filter((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/deliveries/replay')
    .map((r) => r.postDataJSON() as { filter: Record<string, string>; dryRun: boolean; cursor?: string });

async function expectVisible(selector: string): Promise<void> {
  await page.locator(selector).waitFor({ state: 'visible' });
}

async function expectHidden(selector: string): Promise<void> {
  await page.locator(selector).waitFor({ state: 'hidden' });
}
