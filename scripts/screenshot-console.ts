/**
 * `npm run screenshot:console`: docs/images/console.png, the README's picture of the deliveries console. It starts
 * the local stack (as `npm start` does, on a free port and a fresh data folder), sends a few webhooks of
 * different styles, opens /console in Debian's Chromium (scripts/ensure-chromium.sh), enters the demo key,
 * opens the Stripe-like delivery and dry-runs its replay, and saves the page.
 *
 * `--fixtures`: the page alone, with canned API answers (test/support/console-fixtures.ts) instead of the stack:
 * for a branch without the deliveries API. The picture then shows fixture deliveries, and says nothing of the API.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser';
import { FIXTURE_DELIVERIES, FIXTURE_KEY, routeFixtureApi } from '../test/support/console-fixtures';
import { serveConsolePage } from '../test/support/console-page';
import { removeDataDir, request, startLocalStack } from '../test/support/local-stack';

const root = resolve(__dirname, '..');
const { values: args } = parseArgs({
  options: {
    fixtures: { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'docs', 'images', 'console.png') },
  },
});

const KEY = 'hf_local_dev_key';
const VIEWPORT = { width: 1440, height: 900 };

async function main(): Promise<void> {
  const chromium = await launchChromium();
  const stop: (() => Promise<void>)[] = [() => chromium.close()];
  try {
    const page = await chromium.browser.newPage({ viewport: VIEWPORT });
    let openText: string;
    let key: string;
    if (args.fixtures) {
      const site = await serveConsolePage();
      stop.push(() => site.close());
      await routeFixtureApi(page);
      await page.goto(`${site.url}/console`);
      key = FIXTURE_KEY;
      openText = FIXTURE_DELIVERIES[0]!.correlationId!;
    } else {
      const stack = await startLocalStack();
      stop.push(async () => {
        await stack.stop();
        removeDataDir(stack.dataDir);
      });
      await sendWebhooks(stack.url);
      const probe = await request(`${stack.url}/api/deliveries`, { headers: { authorization: `Bearer ${KEY}` } });
      if (probe.status !== 200) {
        throw new Error(
          `GET /api/deliveries answered ${probe.status} (${probe.text}): no deliveries API here; --fixtures takes a provisional picture`,
        );
      }
      await page.goto(`${stack.url}/console`);
      key = KEY;
      openText = 'evt_1QStripe1002';
    }
    await show(page, key, openText);
    mkdirSync(dirname(args.out!), { recursive: true });
    await page.screenshot({ path: args.out!, fullPage: true });
    process.stdout.write(`wrote ${args.out}${args.fixtures ? ' (fixture answers)' : ''}\n`);
  } finally {
    for (const close of stop.reverse()) await close();
  }
}

/** A few deliveries of different styles and outcomes, as senders would make them. */
async function sendWebhooks(url: string): Promise<void> {
  const json = { 'content-type': 'application/json' };
  const bearer = { ...json, authorization: `Bearer ${KEY}` };
  const sends: [string, Record<string, string>, unknown][] = [
    [`/flows/hello/trigger`, { ...bearer, 'x-correlation-id': 'evt_1QOrder0958' }, { order: 41 }],
    [`/api/v2/webhook?ref=approval`, { ...json, 'ce-id': 'ce-7f3a' }, { order: 7 }],
    [
      `/inbound`,
      { ...json, 'inbound-webhook-secret': 'hf_local_inbound_secret' },
      { workflow: 'workflow name', uid: 'order-1' },
    ],
    [`/flows/hello/trigger`, { ...json, authorization: 'Bearer hf_local_disabled_key' }, { order: 42 }],
    [`/flows/hello-standard/trigger`, { ...bearer, 'idempotency-key': 'ik-2026-12-05-1' }, { order: 43 }],
    [`/flows/hello-standard/trigger`, { ...bearer, 'idempotency-key': 'ik-2026-12-05-1' }, { order: 43 }],
    [
      // A Standard workflow: the picture shows its run's status read back from Step Functions.
      `/flows/hello-standard/trigger`,
      {
        ...bearer,
        'x-correlation-id': 'evt_1QStripe1002',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      },
      { id: 'evt_1QStripe1002', type: 'payment_intent.succeeded', data: { object: { amount: 4200, currency: 'eur' } } },
    ],
  ];
  for (const [path, headers, body] of sends) {
    await request(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  }
}

/** The console as a user leaves it: key entered, the list, one delivery open, a force replay's dry run shown. */
async function show(page: Page, key: string, openText: string): Promise<void> {
  await page.fill('#key-input', key);
  await page.click('#key-form button[type=submit]');
  const row = page.locator('#deliveries tbody tr').filter({ hasText: openText }).first();
  await row.waitFor();
  await row.locator('button.link').click();
  await page.locator('#detail:not([hidden])').waitFor();
  await page.selectOption('#replay-mode', 'force');
  await page.click('#preview-one');
  await page.locator('#preview:not([hidden])').waitFor();
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshot:console: ${(error as Error).message}\n`);
  process.exit(1);
});
