/**
 * Real-browser tests: Debian's Chromium driven by playwright-core (never a downloaded browser).
 * One browser per test file, a fresh context (cookies, storage) per test, screenshots saved per
 * step under test-artifacts/browser/ (git-ignored; CI keeps the folder as the run's artifacts).
 * An uncaught exception in any page of the test fails it (after its last step, with the message).
 *
 *   const b = useBrowser('viewer');
 *   it('…', async () => { const page = b.page(); …; await b.shot('loaded'); expect(await b.axe()).toEqual([]); });
 *
 * `.ci/run` installs `chromium` and `fonts-nanum` (Korean glyphs) when missing; locally:
 * `apt-get install -y --no-install-recommends chromium fonts-nanum`.
 */
import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless, no sandbox (CI runs as root), and nothing that phones home or updates itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'browser');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}. Install it with: apt-get install -y --no-install-recommends chromium fonts-nanum (.ci/run does this on CI).`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

export interface BrowserFixture {
  browser(): Browser;
  context(): BrowserContext;
  page(): Page;
  /** Saves a full-page screenshot of `page` (default: the test's page) as the next numbered step. */
  shot(step: string, page?: Page): Promise<string>;
  /** axe-core's serious and critical violations on `page` (WCAG 2.1 A/AA rules). */
  axe(page?: Page): Promise<AxeFinding[]>;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9가-힣]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);

/** Registers the jest hooks for a file: one browser for all its tests, a new context per test. */
export function useBrowser(suite: string, contextOptions: BrowserContextOptions = {}): BrowserFixture {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let step = 0;
  let dir = '';
  let pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    context = await browser!.newContext({ viewport: { width: 1280, height: 720 }, ...contextOptions });
    pageErrors = [];
    context.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(e.message)));
    page = await context.newPage();
    step = 0;
    dir = join(ARTIFACTS, slug(suite), slug(expect.getState().currentTestName ?? 'test'));
    mkdirSync(dir, { recursive: true });
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
    page = undefined;
    if (pageErrors.length) throw new Error(`uncaught error in the page: ${pageErrors.join('; ')}`);
  });

  const need = <T>(v: T | undefined, what: string): T => {
    if (!v) throw new Error(`${what} is only available inside a test`);
    return v;
  };

  return {
    browser: () => need(browser, 'browser'),
    context: () => need(context, 'context'),
    page: () => need(page, 'page'),
    async shot(name, p = need(page, 'page')) {
      step++;
      const file = join(dir, `${String(step).padStart(2, '0')}-${slug(name)}.png`);
      await p.screenshot({ path: file, fullPage: true });
      return file;
    },
    async axe(p = need(page, 'page')) {
      const result = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
    },
  };
}

/**
 * Retries `check` (an assertion) until it passes or `timeoutMs` runs out, then throws its last
 * failure: for state the page reaches asynchronously (jest has no `expect.poll`).
 */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
