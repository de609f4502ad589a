/**
 * The viewer in real Chromium, against a stand-in case-files route that serves synthetic images in
 * every encoding the viewer handles (see test/helpers/viewer-fixtures.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { AppStreamClient, CreateStreamingURLCommand } from '@aws-sdk/client-appstream';
import { startAppStreamStandIn } from '../../local/appstream/standin';
import { buildViewer } from '../../viewer/build';
import { standInViewerPage } from '../../viewer/launch';
import { viewerMessages } from '../../viewer/src/i18n';
import { eventually, useBrowser } from '../helpers/browser';
import { startCaseFilesServer, type CaseFilesServer, type FakeFile } from '../helpers/case-files-server';
import { dicomFile } from '../helpers/dicom-file';
import { demoFiles, PATIENT_NAME } from '../helpers/viewer-fixtures';

// One context and page for the file: each test has its own case-files server (a new origin) and
// opens the viewer in a new document; the clock test has a page of its own.
const b = useBrowser('viewer', {}, { oneContext: true });
const REF = 'R-7Q2K';
const CASE_ID = 'CASE-0042';
const READER = 'Kestrel-17';
const SESSION = 'sess-read-0001';
const ADJ_SESSION = 'sess-adj-0001';
const ODD_SESSION = 'sess-odd-0001';

let dist: string;
let files: FakeFile[];
let server: CaseFilesServer;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'viewer-'));
  // The build (esbuild's own process) and the fixtures at the same time. The fixtures need a
  // browser to encode JPEG; use a throwaway context of the file's browser.
  const fixtures = async () => {
    const ctx = await b.browser().newContext();
    files = await demoFiles(await ctx.newPage());
    await ctx.close();
  };
  await Promise.all([buildViewer(dist), fixtures()]);
});

beforeEach(async () => {
  server = await startCaseFilesServer(dist, {
    [SESSION]: { ref: REF, caseId: CASE_ID, reader: READER, files },
    [ADJ_SESSION]: { caseId: CASE_ID, reader: 'Osprey-03', files },
    [ODD_SESSION]: {
      ref: 'R-ODD1',
      caseId: 'CASE-0099',
      files: [
        // RLE lossless: DICOM the viewer cannot decode.
        { key: 'od/rle.dcm', exam: 'fundus', eye: 'OD', body: Buffer.from(dicomFile({ rows: 2, columns: 2, pixels: new Uint8Array(4) }).toString('latin1').replace('1.2.840.10008.1.2.1\0', '1.2.840.10008.1.2.5\0'), 'latin1') },
        { key: 'os/broken.png', exam: 'fundus', eye: 'OS', body: Buffer.from('\x89PNG\r\n\x1a\nnot really a png', 'latin1') },
      ],
    },
  });
});

afterEach(async () => {
  await server.close();
});

const pane = (page: Page, eye: 'OD' | 'OS' | 'none') => page.locator(`section[data-eye="${eye}"]`);

async function open(page: Page, hash: Record<string, string> = { sessionId: SESSION }): Promise<void> {
  await page.goto('about:blank'); // a new document: a change of fragment alone would not reload
  await page.goto(server.viewerUrl(hash));
}

async function loaded(page: Page, ...eyes: Array<'OD' | 'OS' | 'none'>): Promise<void> {
  for (const eye of eyes) await pane(page, eye).and(page.locator('[data-loaded="true"]')).waitFor({ timeout: 15_000 });
}

/** A hash of what a pane's canvas shows, to tell whether the picture changed. */
async function pixels(page: Page, eye: 'OD' | 'OS'): Promise<string> {
  return pane(page, eye).locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i += 7) h = Math.imul(h ^ d[i], 16777619);
    return `${c.width}x${c.height}:${h >>> 0}`;
  });
}

async function data(page: Page, eye: 'OD' | 'OS', name: string): Promise<number> {
  return Number(await pane(page, eye).getAttribute(`data-${name}`));
}

describe('viewer', () => {
  it('shows the right and left eye side by side, labelled by the ref, with the reader watermark', async () => {
    const page = b.page();
    await open(page);
    await loaded(page, 'OD', 'OS', 'none');
    await b.shot('both eyes');

    const od = (await pane(page, 'OD').boundingBox())!;
    const os = (await pane(page, 'OS').boundingBox())!;
    expect(od.x + od.width).toBeLessThanOrEqual(os.x); // OD on the left, as facing the patient
    expect(Math.abs(od.y - os.y)).toBeLessThan(2);
    await expect(page.locator('h1').textContent()).resolves.toBe(`Case ${REF}`);
    await expect(page.title()).resolves.toContain(REF);
    await expect(page.locator('#reader').textContent()).resolves.toContain(READER);
    expect(await pane(page, 'OD').locator('canvas').getAttribute('data-watermark')).toMatch(new RegExp(`^${READER} · .*\\d`));
    // Both eyes' images (PNG, and DICOM with an encapsulated JPEG) are drawn, not left black.
    for (const eye of ['OD', 'OS'] as const) {
      const lit = await pane(page, eye).locator('canvas').evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > 120 && d[i + 1] > 40) n++;
        return n / (d.length / 4);
      });
      expect(lit).toBeGreaterThan(0.2);
    }
  });

  it('never puts a URL, storage key, case id, session id or DICOM text into the page', async () => {
    const page = b.page();
    await open(page);
    await loaded(page, 'OD', 'OS', 'none');
    await page.getByRole('button', { name: 'OCT' }).first().click();
    await loaded(page, 'OD');
    await page.keyboard.press('?');
    const html = await page.content();
    const attributes = await page.evaluate(() => [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.value)).join('\n'));
    for (const text of [html, attributes, page.url(), await page.title()]) {
      expect(text).not.toContain(CASE_ID);
      expect(text).not.toContain(SESSION);
      expect(text).not.toMatch(/X-Amz|\/scans\/|cases\//);
      expect(text).not.toContain(PATIENT_NAME.split('^')[0]);
      for (const f of files) expect(text).not.toContain(f.key);
    }
    expect(page.url()).toBe(`${server.base}/viewer/`);
  });

  it('labels an adjudication session "Adjudication", without the case id', async () => {
    const page = b.page();
    await open(page, { sessionId: ADJ_SESSION });
    await loaded(page, 'OD', 'OS');
    await expect(page.locator('h1').textContent()).resolves.toBe('Adjudication');
    expect(await page.content()).not.toContain(CASE_ID);
    await b.shot('adjudication');
  });

  it('moves through the OCT slices with the slider and the keys', async () => {
    const page = b.page();
    await open(page);
    await loaded(page, 'OD');
    await pane(page, 'OD').getByRole('button', { name: 'OCT' }).click();
    await loaded(page, 'OD');
    const slider = pane(page, 'OD').getByRole('slider', { name: 'Slice' });
    await expect(slider.getAttribute('max')).resolves.toBe('9');
    expect(await data(page, 'OD', 'slice')).toBe(5); // opens on the middle slice
    await expect(slider.getAttribute('aria-valuetext')).resolves.toBe('Slice 5 of 9');
    await b.shot('oct middle slice');

    const before = await pixels(page, 'OD');
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    await eventually(async () => expect(await data(page, 'OD', 'slice')).toBe(6));
    await eventually(async () => expect(await pixels(page, 'OD')).not.toBe(before));

    await pane(page, 'OD').locator('canvas').focus();
    await page.keyboard.press(']');
    await page.keyboard.press(']');
    await eventually(async () => expect(await data(page, 'OD', 'slice')).toBe(8));
    await page.keyboard.press('PageUp');
    await eventually(async () => expect(await data(page, 'OD', 'slice')).toBe(7));
    await b.shot('oct slice 7');
  });

  it('zooms, pans and changes window/level from the keyboard, on the selected eye only', async () => {
    const page = b.page();
    await open(page);
    await loaded(page, 'OD', 'OS');
    await pane(page, 'OD').getByRole('button', { name: 'OCT' }).click();
    await loaded(page, 'OD');
    // A 16-bit stack opens with the window its file names.
    expect(await data(page, 'OD', 'window-center')).toBe(1600);
    expect(await data(page, 'OD', 'window-width')).toBe(3200);

    await page.keyboard.press('1');
    const before = await pixels(page, 'OD');
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    expect(await data(page, 'OD', 'zoom')).toBeCloseTo(1.5625, 3);
    await page.keyboard.press('ArrowLeft');
    expect(await data(page, 'OD', 'pan-x')).toBeGreaterThan(0);
    await page.keyboard.press('b');
    expect(await data(page, 'OD', 'window-center')).toBeLessThan(1600);
    await page.keyboard.press('c');
    expect(await data(page, 'OD', 'window-width')).toBeLessThan(3200);
    await page.keyboard.press('i');
    await expect(pane(page, 'OD').locator('.readout').textContent()).resolves.toContain('inverted');
    expect(await pixels(page, 'OD')).not.toBe(before);
    // The other eye did not move.
    expect(await data(page, 'OS', 'zoom')).toBe(1);
    await b.shot('zoomed and windowed');

    await page.keyboard.press('2');
    await page.keyboard.press('-');
    expect(await data(page, 'OS', 'zoom')).toBeCloseTo(0.8, 3);
    await page.keyboard.press('1');
    await page.keyboard.press('0');
    expect(await data(page, 'OD', 'zoom')).toBe(1);
    expect(await data(page, 'OD', 'pan-x')).toBe(0);
    expect(await data(page, 'OD', 'window-center')).toBe(1600);
    expect(await pane(page, 'OD').getAttribute('data-inverted')).toBe('false');
  });

  it('shows the shortcuts in a help dialog that opens with ? and closes with Escape', async () => {
    const page = b.page();
    await open(page);
    await loaded(page, 'OD');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await page.keyboard.press('?');
    await expect(dialog.isVisible()).resolves.toBe(true);
    await expect(dialog.getByRole('row').count()).resolves.toBe(15);
    await expect(dialog.textContent()).resolves.toContain('Next slice');
    await b.shot('help');
    expect(await b.axe()).toEqual([]);
    await page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Keyboard shortcuts (?)' }).click();
    await expect(dialog.isVisible()).resolves.toBe(true);
  });

  it('re-fetches the URLs once when a file URL has expired, and loads the file', async () => {
    const page = b.page();
    server.refuseNextFetch('od/oct.dcm');
    await open(page);
    await loaded(page, 'OD');
    await pane(page, 'OD').getByRole('button', { name: 'OCT' }).click();
    await loaded(page, 'OD');
    expect(server.fileRequests.filter(([k]) => k === 'od/oct.dcm')).toEqual([['od/oct.dcm', 403], ['od/oct.dcm', 200]]);
    expect(server.answers(SESSION)).toBe(2);
    await b.shot('loaded after re-fetch');
  });

  it('asks for fresh URLs before they expire while files are still loading, and stops once all are loaded', async () => {
    const page = await b.isolatedPage();
    // The page's timers run on Playwright's clock: the refresh periods pass when the test says, at
    // once, instead of being sat through. The page's own count of the case-files fetches it starts
    // shows that no refresh even began (the server's count alone would miss one still in flight).
    await page.clock.install();
    await page.addInitScript(() => {
      const w = window as unknown as { __caseFilesAsked: number };
      const real = window.fetch.bind(window);
      w.__caseFilesAsked = 0;
      window.fetch = (input, init) => {
        if (String(input instanceof Request ? input.url : input).includes('/fleet/case-files')) w.__caseFilesAsked++;
        return real(input, init);
      };
    });
    const asked = () => page.evaluate(() => (window as unknown as { __caseFilesAsked: number }).__caseFilesAsked);
    server.urlSeconds = 3; // the viewer refreshes at most every 2 s, and 30 s before expiry otherwise
    const slow = server.holdFile('os/oct.dcm'); // a file of the background prefetch is slow
    await open(page);
    await loaded(page, 'OD');
    await slow.arrived; // still loading
    const first = server.answers(SESSION);
    await page.clock.fastForward(2_000); // one refresh period
    await eventually(() => expect(server.answers(SESSION)).toBeGreaterThan(first));
    slow.release();
    await eventually(() => expect(server.fileRequests.some(([k, s]) => k === 'os/oct.dcm' && s === 200)).toBe(true));
    // The slow file shown: the prefetch loop, which ends right after it, is done.
    await pane(page, 'OS').getByRole('button', { name: 'OCT' }).click();
    await loaded(page, 'OS');
    const settled = server.answers(SESSION);
    const settledAsked = await asked();
    await page.clock.runFor(4_500); // two refresh periods: no more answers (each one is an audit event)
    expect(await asked()).toBe(settledAsked);
    expect(server.answers(SESSION)).toBe(settled);
  });

  it('says so, with Retry, when the URLs stay refused; Retry then loads with fresh URLs', async () => {
    const page = b.page();
    server.urlSeconds = 0; // dead on arrival
    await open(page);
    await eventually(async () => expect(await pane(page, 'OD').getByRole('status').textContent()).toMatch(/could not be loaded\. Press Retry/), 15_000);
    expect(server.fileRequests.filter(([k]) => k === 'od/fundus.png').map(([, s]) => s)).toEqual([403, 403]);
    await b.shot('refused urls');
    server.urlSeconds = 300;
    await pane(page, 'OD').getByRole('button', { name: 'Retry' }).click();
    await loaded(page, 'OD');
    expect(server.fileRequests.filter(([k]) => k === 'od/fundus.png').map(([, s]) => s)).toEqual([403, 403, 200]);
  });

  it('says what to do when the session is missing, refused or the service fails', async () => {
    const page = b.page();
    await page.goto(`${server.base}/viewer/`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/without a viewing session\. Open the case again from the reading portal/);
    await b.shot('no session');

    await open(page, { sessionId: 'sess-unknown-99' });
    await eventually(async () => expect(await alert.textContent()).toMatch(/no longer valid.*open the case again from the reading portal/));
    await expect(page.getByRole('alert').getByRole('button').count()).resolves.toBe(0);
    await b.shot('refused');

    server.failNext(503);
    await open(page, { sessionId: SESSION });
    await eventually(async () => expect(await alert.textContent()).toMatch(/error \(503\)\. Press Retry/));
    await b.shot('service error');
    expect(await b.axe()).toEqual([]);
    await page.getByRole('alert').getByRole('button', { name: 'Retry' }).click();
    await loaded(page, 'OD', 'OS');
    await expect(page.locator('#message').isVisible()).resolves.toBe(false);
  });

  it('has no serious or critical accessibility violation', async () => {
    const page = b.page();
    await open(page);
    await loaded(page, 'OD', 'OS', 'none');
    await pane(page, 'OD').getByRole('button', { name: 'OCT' }).click();
    await loaded(page, 'OD');
    expect(await b.axe()).toEqual([]);
    // Every control is reachable by Tab and shows where the focus is.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
  });

  it('shows a Korean interface with no untranslated string', async () => {
    const page = b.page();
    await open(page, { sessionId: SESSION, lang: 'ko' });
    await loaded(page, 'OD', 'OS', 'none');
    await pane(page, 'OD').getByRole('button', { name: 'OCT' }).click();
    await loaded(page, 'OD');
    await page.keyboard.press('?');
    await b.shot('korean');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('ko');
    await expect(page.locator('h1').textContent()).resolves.toBe(`증례 ${REF}`);

    // All visible text and accessible names, minus key caps (labelled in Latin on Korean keyboards
    // too) and the values that are not words: the ref, the pseudonym, eye and exam abbreviations.
    const texts = await page.evaluate(() => {
      const out: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) if (!n.parentElement?.closest('kbd')) out.push(n.textContent ?? '');
      document.querySelectorAll('[aria-label],[title],[aria-valuetext]').forEach((e) => out.push(e.getAttribute('aria-label') ?? '', e.getAttribute('title') ?? '', e.getAttribute('aria-valuetext') ?? ''));
      out.push(document.title);
      return out;
    });
    const allowed = new RegExp(`${REF}|${READER}|\\b(OD|OS|OCT|Shift)\\b`, 'g');
    const leftovers = texts.map((s) => s.replace(allowed, '')).filter((s) => /[A-Za-z]{2,}/.test(s));
    expect(leftovers).toEqual([]);
    for (const [key, english] of Object.entries(viewerMessages.en)) {
      if (viewerMessages.ko[key as keyof typeof viewerMessages.ko] === english) continue;
      const plain = english.split(/\{\w+\}/)[0].trim();
      if (plain.length > 3) expect(texts.join('\n')).not.toContain(plain);
    }
    expect(await b.axe()).toEqual([]);
  });

  it('says which files it cannot show, and why, in the page language', async () => {
    const page = b.page();
    await open(page, { sessionId: ODD_SESSION, lang: 'ko' });
    const status = (eye: 'OD' | 'OS') => pane(page, eye).getByRole('status').textContent();
    await eventually(async () => expect(await status('OD')).toContain('표시할 수 없는 형식의 영상입니다 (1.2.840.10008.1.2.5)'));
    await eventually(async () => expect(await status('OS')).toContain('영상 파일이 손상되어'));
    await b.shot('unsupported and damaged files');
    expect(await status('OD')).not.toMatch(/transfer|syntax/);
  });

  it('moves the slice of the pane whose slider has the focus, one slice a key', async () => {
    const page = b.page();
    await open(page);
    await loaded(page, 'OD', 'OS');
    await pane(page, 'OS').getByRole('button', { name: 'OCT' }).click();
    await loaded(page, 'OS');
    await page.keyboard.press('1'); // select the right eye, then put the focus on the left eye's slider
    await pane(page, 'OS').getByRole('slider').focus();
    expect(await data(page, 'OS', 'slice')).toBe(4);
    await page.keyboard.press('PageDown');
    await eventually(async () => expect(await data(page, 'OS', 'slice')).toBe(5));
    await page.keyboard.press(']');
    await eventually(async () => expect(await data(page, 'OS', 'slice')).toBe(6));
    await expect(pane(page, 'OS').getAttribute('class')).resolves.toContain('active');
  });

  it("speaks the browser's language when the link names none", async () => {
    const page = await b.isolatedPage({ locale: 'ko-KR' });
    await page.goto(server.viewerUrl({ sessionId: SESSION }));
    await loaded(page, 'OD');
    await expect(page.locator('h1').textContent()).resolves.toBe(`증례 ${REF}`);
    await b.shot('korean from the browser', page);
  });

  it('opens from a streaming URL of the AppStream stand-in, with the session id as its context', async () => {
    const standIn = await startAppStreamStandIn({ fleets: [{ name: 'fleet', stackName: 'stack' }], viewer: standInViewerPage(`${server.base}/viewer/`, server.base) });
    const appstream = new AppStreamClient({ endpoint: standIn.endpoint, region: 'ap-northeast-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const { StreamingURL } = await appstream.send(new CreateStreamingURLCommand({ StackName: 'stack', FleetName: 'fleet', UserId: 'reader-01', SessionContext: SESSION, Validity: 60 }));
      const page = b.page();
      await page.goto(StreamingURL!);
      await loaded(page, 'OD', 'OS');
      await expect(page.locator('h1').textContent()).resolves.toBe(`Case ${REF}`);
      expect(page.url()).toBe(`${server.base}/viewer/`);
      expect(standIn.sessions()[0].SessionContext).toBe(SESSION);
      await b.shot('opened from the stand-in');
      // A reload keeps working with the session and route the address bar no longer shows.
      const answers = server.answers(SESSION);
      await page.reload();
      await loaded(page, 'OD', 'OS');
      expect(server.answers(SESSION)).toBe(answers + 1);
    } finally {
      appstream.destroy();
      await standIn.close();
    }
  });
});
