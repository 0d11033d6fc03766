import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium (apt package `chromium`; scripts/ensure-chromium.sh installs it when missing), driven by
 * playwright-core: no browser download. HOOKFLOW_CHROMIUM names another binary.
 */
export const CHROMIUM_PATH = process.env.HOOKFLOW_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The flags that work on these machines (/work/.library/env/machines/node.md, "Known to work"): headless, no
 * sandbox (tests run as root), no GPU, and no background networking: the machine's network is closed, and
 * Chromium's own calls home (updates, sync, QUIC probes) would only fail, many at a time.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface RunningBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * One Chromium with a fresh, empty profile: playwright-core's launch() gives it a new --user-data-dir of its own
 * in the temp folder (and removes it on close); it refuses one passed in `args`.
 */
export async function launchChromium(): Promise<RunningBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, timeout: 60_000 });
  return { browser, close: () => browser.close() };
}
