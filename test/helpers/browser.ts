/**
 * Real-browser tests: Debian's Chromium headless shell driven by playwright-core (never a downloaded
 * browser).
 * One Chromium per jest worker (test/browser/environment.ts), a fresh context (cookies, storage)
 * per test, or with `oneContext` one context and page for the file's tests, emptied between them
 * or (`keepPage`) not (see `BrowserOptions`). A failing test leaves a
 * full-page screenshot of its page under test-artifacts/browser/<suite>/<test>/ (git-ignored; CI
 * keeps the folder as the run's artifacts); `READROOM_SHOTS=steps` also keeps one per `b.shot`
 * step, as a record of what each page looked like (a full-page capture costs 0.2–0.6 s in
 * software-rendered Chromium, so a passing run skips them).
 * An uncaught exception in any page of the test fails it (after its last step, with the message).
 *
 *   const b = useBrowser('viewer');
 *   it('…', async () => { const page = b.page(); …; await b.shot('loaded'); expect(await b.axe()).toEqual([]); });
 *
 * `.ci/run` installs `chromium-headless-shell` and `fonts-nanum` (Korean glyphs) when missing; locally:
 * `apt-get install -y --no-install-recommends chromium-headless-shell fonts-nanum`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Frame, type Page } from 'playwright-core';

/**
 * Debian's `chromium-headless-shell`: the same Chromium build (Blink, V8, the same version as
 * Debian's `chromium`) without the desktop browser's layer, the kind of headless Chromium
 * Playwright itself runs by default. Against `chromium --headless` (the full browser without a
 * window) the browser project took a quarter less time and 36 % less CPU: its renderers half,
 * its browser process 58 % less (docs/benchmarks.md, "Test suite wall time", round 6). The binary,
 * not /usr/bin's wrapper script, so that no shell sits between Playwright and the browser.
 */
export const CHROMIUM_PATH = '/usr/lib/chromium/chromium-headless-shell';

/**
 * Headless, no sandbox (CI runs as root), and nothing that phones home or updates itself. Site
 * isolation off: a cross-site frame (the portal's embedded image session, the viewer's) then
 * shares its page's renderer process instead of starting one of its own, and axe-core, compiled
 * once in that process, is not compiled again for the frame. The same-origin policy between the
 * frames is Blink's and stays; only the process model (a defence against memory-reading attacks
 * on a real user's browser) changes. It cut the browser project's CPU by about a tenth
 * (docs/benchmarks.md, "Test suite wall time", round 4).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-site-isolation-trials',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'browser');

/** `READROOM_SHOTS=steps`: a screenshot per `b.shot` step, passing or not. */
const STEP_SHOTS = process.env.READROOM_SHOTS === 'steps';

/**
 * The jest worker's Chromium, launched by its first browser file and kept for the next ones
 * (test/browser/environment.ts): a launch costs ≈ 1.2 s and ≈ 2.5 s of CPU. Absent outside that
 * environment (then each file launches its own).
 */
declare const __readroomWorkerChromium: (() => Promise<Browser>) | undefined;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium's headless shell is not installed at ${CHROMIUM_PATH}. Install it with: apt-get install -y --no-install-recommends chromium-headless-shell fonts-nanum (.ci/run does this on CI).`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** The WCAG 2.1 A/AA rules. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

type AxePartial = unknown;

/** axe-core in `frame`'s document, evaluated once per document (650 KB: ~0.5 s each time). */
async function ensureAxe(frame: Frame): Promise<void> {
  if (await frame.evaluate('typeof window.axe?.runPartial === "function"')) return;
  await frame.evaluate(AXE_SOURCE);
  await frame.evaluate('axe.configure({ allowedOrigins: ["<same_origin>"] })');
}

/**
 * Evaluates axe-core once in `page`'s current document (a blank one will do) so that its renderer
 * process has compiled it: the checks' first evaluation in a new document there then takes ≈ 0.3 s
 * instead of ≈ 1.2 s. For set-up time that overlaps other work (a page opened while a server starts).
 */
export async function warmAxe(page: Page): Promise<void> {
  await ensureAxe(page.mainFrame());
}

/**
 * `axe.runPartial` in every frame below `frame` (reached as axe itself finds them), depth first:
 * the order `axe.finishRun` expects. A frame that cannot be reached counts as a `null` partial, as
 * in @axe-core/playwright.
 */
async function childPartials(frame: Frame, context: unknown): Promise<Array<AxePartial | null>> {
  const out: Array<AxePartial | null> = [];
  const frames = (await frame.evaluate((c) => (window as any).axe.utils.getFrameContexts(c), context)) as Array<{ frameSelector: unknown; frameContext: unknown }>;
  for (const { frameSelector, frameContext } of frames) {
    try {
      const element = (await frame.evaluateHandle((sel) => (window as any).axe.utils.shadowSelect(sel), frameSelector)).asElement();
      const child = await element?.contentFrame();
      if (!child) throw new Error('no frame');
      await ensureAxe(child);
      const own = await child.evaluate(([c, o]) => (window as any).axe.runPartial(c, o), [frameContext, AXE_OPTIONS] as const);
      out.push(own, ...(await childPartials(child, frameContext)));
    } catch {
      out.push(null);
    }
  }
  return out;
}

const AXE_OPTIONS = { runOnly: { type: 'tag', values: AXE_TAGS } };

/**
 * axe-core's serious and critical violations on `page`, every frame included: what
 * `new AxeBuilder({ page }).withTags(AXE_TAGS).analyze()` finds (the same axe-core, rules and
 * frames), at a fraction of its cost. The builder evaluated axe's 650 KB source in each frame at
 * every check, and copied the whole partial results (every node of every rule that passed) out of
 * the page and into a new blank page for `finishRun`, then the whole report back: 4–10 s a check on
 * a reading page. Here axe is put into each document once, the top frame's partial result stays in
 * the page, and only the serious and critical violations come out.
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  const top = page.mainFrame();
  await ensureAxe(top);
  const context = { exclude: [], include: [] };
  // The top frame's own run first, kept in the page; then the frames, as the builder orders them.
  await top.evaluate(async ([c, o]) => void ((window as any).__axeTopPartial = await (window as any).axe.runPartial(c, o)), [context, AXE_OPTIONS] as const);
  const children = await childPartials(top, context);
  return top.evaluate(
    async ([rest, o]) => {
      const w = window as any;
      const partials = [w.__axeTopPartial, ...rest];
      delete w.__axeTopPartial;
      const result = await w.axe.finishRun(partials, o);
      return (result.violations as Array<{ id: string; impact?: string; help: string; nodes: Array<{ target: string[] }> }>)
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
    },
    [children, AXE_OPTIONS] as const,
  );
}

export interface BrowserFixture {
  browser(): Browser;
  context(): BrowserContext;
  page(): Page;
  /**
   * Names the next numbered step on `page` (default: the test's page). With `READROOM_SHOTS=steps`
   * it saves a full-page screenshot of it; otherwise only a failing test's last page is saved.
   */
  shot(step: string, page?: Page): Promise<void>;
  /** axe-core's serious and critical violations on `page` (WCAG 2.1 A/AA rules): `axeViolations`. */
  axe(page?: Page): Promise<AxeFinding[]>;
  /**
   * A page in a context of its own for this test, closed after it; its uncaught errors fail the
   * test as the test's page's do. For what must not reach the file's shared context (`oneContext`):
   * Playwright's clock, init scripts, other context options.
   */
  isolatedPage(contextOptions?: BrowserContextOptions): Promise<Page>;
}

export interface BrowserOptions {
  /**
   * One context and page for all the file's tests instead of a new one per test: a test starts on
   * the page the last one left, emptied (about:blank, other pages closed). Saves a renderer
   * process start per test (0.2–1.5 s, more the busier the machine). Only for files whose tests
   * need no fresh browser state. After each test the shared page's routes and init scripts are
   * removed, the cookies and the storage of its last page's origin emptied, its other pages
   * closed; the HTTP cache stays, and so does Playwright's clock (install it once for the file,
   * or use `isolatedPage`).
   */
  oneContext?: boolean;
  /**
   * With `oneContext`: the page is not emptied between tests either (its document, cookies,
   * storage, routes and clock stay), for a file whose tests are the steps of one story, each
   * starting where the last one left (room.test.ts: one user signs out, the next signs in). Saves
   * the renderer's start and, above all, axe-core's first evaluation in a new renderer process
   * (≈ 1.2 s against ≈ 0.3 s once that process has compiled it) per test.
   */
  keepPage?: boolean;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9가-힣]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);

/**
 * Whether the running test has failed so far. jest-circus keeps its state on the global object
 * under a symbol it does not export; if it is not there (another runner), every test counts as
 * failed, so a failure's screenshot is never missing.
 */
function currentTestFailed(): boolean {
  const key = Object.getOwnPropertySymbols(globalThis).find((k) => k.description === 'JEST_STATE_SYMBOL');
  const state = key ? (globalThis as unknown as Record<symbol, { currentlyRunningTest?: { errors: unknown[] } } | undefined>)[key] : undefined;
  return state?.currentlyRunningTest ? state.currentlyRunningTest.errors.length > 0 : true;
}

/**
 * How long a browser file's tests and hooks may take unless they say otherwise (`useBrowser` sets
 * it for the file; the suite's is 60 s). Each test is a person's task in real Chromium with
 * axe-core on its pages: 1–9 s on a quiet machine, but in a run held to about 15 % of the CPU (a
 * busy 2-core machine) the reading page by keyboard took 57 s and the sign-in against moto 56 s.
 */
export const BROWSER_TEST_TIMEOUT_MS = 180_000;

/** Registers the jest hooks for a file: one browser for all its tests, a new context per test (or one for the file: `oneContext`). */
export function useBrowser(suite: string, contextOptions: BrowserContextOptions = {}, options: BrowserOptions = {}): BrowserFixture {
  jest.setTimeout(BROWSER_TEST_TIMEOUT_MS);
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  /** Contexts of `isolatedPage`, closed after the test. */
  let isolated: BrowserContext[] = [];
  /** With `oneContext`: the init scripts a test added to the shared page, removed after it. */
  let initScripts: Array<{ dispose(): Promise<void> }> = [];
  let step = 0;
  let lastStep = 'start';
  /** The page of the last step (a test may work in a page of its own context). */
  let lastPage: Page | undefined;
  let dir = '';
  let pageErrors: string[] = [];

  const save = async (p: Page, name: string) => {
    mkdirSync(dir, { recursive: true });
    await p.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  };

  const newContext = async (opts: BrowserContextOptions) => {
    const c = await browser!.newContext({ viewport: { width: 1280, height: 720 }, ...opts });
    c.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(e.message)));
    return c;
  };

  const newPage = async () => {
    const p = await context!.newPage();
    if (options.oneContext) {
      const add = p.addInitScript.bind(p);
      p.addInitScript = (async (...args: Parameters<Page['addInitScript']>) => {
        const script = await add(...args);
        initScripts.push(script);
        return script;
      }) as Page['addInitScript'];
    }
    return p;
  };
  /**
   * With `oneContext`: axe-core evaluated once in the shared page's blank document while the
   * file's other set-up runs (not awaited before the first test). Its renderer process then holds
   * axe's compiled code, so the tests' checks evaluate it in ≈ 0.3 s instead of ≈ 1.2 s the first time.
   */
  let warming: Promise<unknown> | undefined;

  const shared = typeof __readroomWorkerChromium === 'function';
  beforeAll(async () => {
    browser = await (shared ? __readroomWorkerChromium!() : launchChromium());
    if (options.oneContext) {
      context = await newContext(contextOptions);
      page = await newPage();
      warming = warmAxe(page).catch(() => undefined);
    }
  });
  afterAll(async () => {
    // Every context the file opened (its tests' own included), so the worker's next file starts
    // from a browser with none.
    await Promise.all(browser?.contexts().map((c) => c.close()) ?? []);
    if (!shared) await browser?.close();
  });
  beforeEach(async () => {
    pageErrors = [];
    if (!options.oneContext) context = await newContext(contextOptions);
    await warming;
    if (!page || page.isClosed()) page = await newPage();
    lastPage = page;
    step = 0;
    lastStep = 'start';
    dir = join(ARTIFACTS, slug(suite), slug(expect.getState().currentTestName ?? 'test'));
  });
  afterEach(async () => {
    if (lastPage && !lastPage.isClosed() && currentTestFailed()) {
      await save(lastPage, `failed-after-${String(step).padStart(2, '0')}-${slug(lastStep)}`).catch(() => undefined);
    }
    for (const c of isolated) await c.close();
    isolated = [];
    if (!options.oneContext) {
      await context?.close();
      context = undefined;
      page = undefined;
    } else {
      for (const p of context!.pages()) if (p !== page) await p.close();
      if (!options.keepPage) await emptySharedPage();
    }
    lastPage = undefined;
    if (pageErrors.length) throw new Error(`uncaught error in the page: ${pageErrors.join('; ')}`);
  });

  /**
   * With `oneContext`: the next test starts on an empty page, this one's document (and its
   * timers) gone, and what it kept in its origin's storage too.
   */
  const emptySharedPage = async () => {
    for (const script of initScripts) await script.dispose();
    initScripts = [];
    await context!.clearCookies();
    if (page && !page.isClosed()) {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await page.evaluate(() => {
        try {
          sessionStorage.clear();
          localStorage.clear();
        } catch {
          // An opaque origin (about:blank, data:) has no storage.
        }
      }).catch(() => undefined);
      await page.goto('about:blank');
    }
  };

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
      lastStep = name;
      lastPage = p;
      if (STEP_SHOTS) await save(p, `${String(step).padStart(2, '0')}-${slug(name)}`);
    },
    axe: (p = need(page, 'page')) => axeViolations(p),
    async isolatedPage(opts = {}) {
      need(page, 'isolatedPage');
      const c = await newContext({ ...contextOptions, ...opts });
      isolated.push(c);
      const p = await c.newPage();
      lastPage = p;
      return p;
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
