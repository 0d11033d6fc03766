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
    await rowCountIs(30);

    expect(await rowIds()).toEqual(FIXTURE_DELIVERIES.map((d) => d.id));
    expect(new URL(api.requests.at(-1)!.url()).searchParams.get('cursor')).toBe(FIXTURE_DELIVERIES[24]!.id);
    await expectHidden('#more');

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
    expect(await run.locator('a').getAttribute('href')).toBe(FIXTURE_DELIVERIES[0]!.runs[0]!.link);
    expect(await run.locator('a').getAttribute('rel')).toBe('noopener noreferrer');
    expect(await page.textContent('#detail-body')).toBe('{\n  "order": 1\n}');
    expect(pageErrors).toEqual([]);
  });

  it('replays one delivery: the dry run and its count first, nothing started until confirmed', async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();
    await rows().nth(3).locator('button.link').click();
    await expectVisible('#detail');

    await page.click('#preview-one');
    await expectVisible('#preview');

    expect(await page.textContent('#preview-summary')).toContain('1 would start. Nothing has started yet.');
    expect(await page.textContent('#confirm-replay')).toBe('Start 1 replay');
    const posts = () => api.requests.filter((r) => r.method() === 'POST').map((r) => r.postDataJSON());
    expect(posts()).toEqual([{ mode: 'if-no-run', dryRun: true }]);

    await page.click('#confirm-replay');
    await expectVisible('#notice');

    expect(posts()).toEqual([
      { mode: 'if-no-run', dryRun: true },
      { mode: 'if-no-run', dryRun: false },
    ]);
    expect(await page.textContent('#notice')).toContain('1 started');
  });

  it('replays a selection in force mode, one dry run per delivery, and a filter through the bulk replay', async () => {
    await enterKey(FIXTURE_KEY);
    await rows().first().waitFor();
    await rows().nth(0).locator('input[type=checkbox]').check();
    await rows().nth(2).locator('input[type=checkbox]').check();
    await page.selectOption('#replay-mode', 'force');

    await page.click('#preview-selected');
    await expectVisible('#preview');

    expect(await page.textContent('#preview-summary')).toBe(
      'Dry run of the 2 selected deliveries, mode force: 2 would start. Nothing has started yet.',
    );
    expect(await page.locator('#preview-items li').allTextContents()).toEqual([
      FIXTURE_DELIVERIES[0]!.id,
      FIXTURE_DELIVERIES[2]!.id,
    ]);

    await page.click('#cancel-replay');
    await page.selectOption('select[name=style]', 'inbound');
    await page.click('#filters button[type=submit]');
    await rowCountIs(1);
    await page.click('#preview-filter');
    await page.locator('#error:not([hidden]), #preview:not([hidden])').first().waitFor();

    const bulk = api.requests.at(-1)!;
    expect(new URL(bulk.url()).pathname).toBe('/api/deliveries/replay');
    expect(bulk.postDataJSON()).toMatchObject({ filter: { style: 'inbound' }, mode: 'force', dryRun: true });
    expect(typeof bulk.postDataJSON().filter.to).toBe('string');
  });

  it('is held by its Content-Security-Policy: an injected inline script does not run', async () => {
    await page.evaluate(
      "const script = document.createElement('script'); script.textContent = 'window.__inline = true'; document.body.append(script);",
    );

    expect(await page.evaluate('window.__inline')).toBeUndefined();
    expect(violations.length).toBeGreaterThan(0);
  });
});

async function expectVisible(selector: string): Promise<void> {
  await page.locator(selector).waitFor({ state: 'visible' });
}

async function expectHidden(selector: string): Promise<void> {
  await page.locator(selector).waitFor({ state: 'hidden' });
}
