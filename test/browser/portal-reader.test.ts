/**
 * The reader's pages in real Chromium: home (progress, queue, "read next" and each of its
 * refusals), the reading page (the image session beside the form, keyboard-only grading, the
 * engine's visibility and messages, autosave, submit, version conflicts, an expired sign-in, a
 * failing network), in English and Korean, with axe-core on each. The API is the fixture stand-in
 * (test/helpers/portal-fixtures.ts) for what the local room cannot reach (injected failures and
 * refusals, expired sign-ins, conflicts, recorded request bodies); claiming the next case, another
 * reader's ref and the real path run against the room in room.test.ts.
 */
import type { Page } from 'playwright-core';
import type { PortalServer } from '../../portal/serve';
import { AUTOSAVE_MS } from '../../portal/src/form/read-controller';
import { eventually, useBrowser } from '../helpers/browser';
import { FAKE_AWS_EMBED_JS, fixtureConfig, PortalFixtures, USERS } from '../helpers/portal-fixtures';
import { servePortal, untranslated } from '../helpers/portal-page';

// One context and page for the file (each test signs in afresh on a new document; the helper
// removes its routes and init scripts and empties the storage after it), on Playwright's clock
// (see `pause`).
const b = useBrowser('portal-reader', {}, { oneContext: true });
let server: PortalServer;
let fx: PortalFixtures;

beforeAll(async () => {
  server = await servePortal({ config: fixtureConfig() });
  await b.context().clock.install();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(() => {
  fx = new PortalFixtures();
});

const open = (page: Page, user = USERS.reader, path = '/', at = server) => fx.open(page, user, `${at.url}${path}`);
const openRead = (page: Page, ref: string, at = server) => fx.open(page, USERS.reader, `${at.url}/#/read/${ref}`);
/**
 * Lets `ms` of the page's time pass at once (by default the autosave's pause, AUTOSAVE_MS): the
 * portal's own timers fire as they would after a real pause, without the test sitting through it.
 */
const pause = (page: Page, ms = AUTOSAVE_MS) => page.clock.fastForward(ms);

const saves = () => fx.calls('PUT', /^\/assignments\/[a-z2-7]{12}\/read$/);
const radio = (page: Page, eye: 'OD' | 'OS' | 'P', key: string, value: string) => page.locator(`input[name="q-${eye}-${key}"][value="${value}"]`);

/** Answers everything the default form requires for a gradable pair of eyes, by clicking. */
async function answerRequired(page: Page): Promise<void> {
  for (const eye of ['OD', 'OS'] as const) {
    await radio(page, eye, 'fundusQuality', 'good').check();
    await radio(page, eye, 'icdrLevel', 'none').check();
    await radio(page, eye, 'dme', 'absent').check();
    await radio(page, eye, 'beckmanClass', 'no_aging_changes').check();
    await page.locator(`#q-${eye}-vcdr`).fill('0.3');
    await radio(page, eye, 'glaucomaLikelihood', 'no').check();
  }
  await radio(page, 'P', 'referral', 'none').check();
}

/**
 * Answers one question while every save fails at the network: the autosave and the client's own
 * retries (0.4 s and 1.5 s after each failure) run out, and the page says the answer is not saved.
 * The network stays down until the test brings it back: the page tries again by itself
 * OFFLINE_RETRY_MS later on its clock, which runs on, and on a slow machine that retry came while
 * the test still counted on the answer being unsaved (it was saved, and its local copy gone).
 */
async function answerOffline(page: Page): Promise<void> {
  fx.faults.set('PUT /assignments/{ref}/read', Array.from({ length: 100 }, () => 'network' as const));
  await radio(page, 'OS', 'fundusQuality', 'ungradable').check();
  await pause(page);
  await eventually(async () => expect(saves()).toHaveLength(1));
  await pause(page, 400);
  await eventually(async () => expect(saves()).toHaveLength(2));
  await pause(page, 1500);
  await page.getByText('Not saved: the connection failed').waitFor();
}

/** Presses Tab until the focused element matches, at most `max` times. */
async function tabTo(page: Page, matches: (el: Element) => boolean, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(`(${matches.toString()})(document.activeElement)`)) return;
  }
  throw new Error('focus never reached the element');
}

describe('reader home', () => {
  it('shows progress and the queue, filters and pages it, and opens a case', async () => {
    for (let i = 0; i < 27; i++) fx.addAssignment(USERS.reader, { status: i % 3 === 0 ? 'submitted' : 'in_progress', submittedAt: i % 3 === 0 ? '2026-12-02T10:00:00.000Z' : undefined });
    const page = b.page();
    await open(page);
    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();
    await expect(page.getByRole('definition').first().textContent()).resolves.toBe('18');
    await page.locator('table.list tbody tr').first().waitFor();
    expect(await page.locator('table.list tbody tr').count()).toBe(25);
    await page.getByRole('button', { name: 'Show more' }).click();
    await eventually(async () => expect(await page.locator('table.list tbody tr').count()).toBe(27));
    expect(fx.calls('GET', /^\/queue$/).at(-1)!.query).toEqual({ cursor: '25', limit: '25' });
    await page.getByRole('radio', { name: 'Submitted' }).check();
    await eventually(async () => expect(await page.locator('table.list tbody tr').count()).toBe(9));
    expect(fx.calls('GET', /^\/queue$/).at(-1)!.query).toEqual({ status: 'submitted', limit: '25' });
    expect(await b.axe()).toEqual([]);
    await b.shot('home');
    await page.locator('table.list tbody a').first().click();
    await page.getByRole('heading', { name: /^Case [a-z2-7]{12}$/ }).waitFor();
  });

  it('says plainly when nothing is left, at the workload cap, busy, or without a site', async () => {
    const page = b.page();
    await open(page);
    const next = page.getByRole('button', { name: 'Read next case' });
    await next.click();
    await page.getByText('No case is waiting for you right now.').waitFor();
    fx.nextOutcome = 'workload_cap';
    await next.click();
    await page.getByText('You already have the most open cases allowed').waitFor();
    fx.nextOutcome = 'busy';
    await next.click();
    await page.getByText('Many readers are taking cases right now').waitFor();
    expect(fx.calls('POST', /^\/queue\/next$/)).toHaveLength(3); // a 503 is not repeated by the client
    expect(await b.axe()).toEqual([]);
    await b.shot('refusals');

    const other = await b.context().newPage();
    await fx.signInAs(other, USERS.nosite);
    await fx.install(other);
    await other.goto(`${server.url}/`);
    // Told on arrival, and again when asking for a case.
    await other.getByText('Your account has no site').first().waitFor();
    await other.getByRole('button', { name: 'Read next case' }).click();
    await eventually(async () => expect(await other.getByText('Your account has no site').count()).toBe(2));
  });

  it('is all Korean in Korean', async () => {
    fx.addAssignment(USERS.reader, { status: 'submitted', submittedAt: '2026-12-02T10:00:00.000Z' });
    const context = await b.browser().newContext({ locale: 'ko-KR' });
    const page = await context.newPage();
    await open(page);
    await page.getByRole('heading', { name: '내 증례', level: 1 }).waitFor();
    await page.locator('table.list tbody tr').first().waitFor();
    await page.getByRole('button', { name: '다음 증례 판독' }).click();
    await page.getByText('지금은 기다리는 증례가 없습니다').waitFor();
    expect(await untranslated(page)).toEqual([]);
    expect(await b.axe(page)).toEqual([]);
    await b.shot('korean home', page);
    // The switch goes back to English and is remembered.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();
    await context.close();
  });
});

describe('reading page', () => {
  it('grades from the keyboard only: the engine shows and hides questions, drafts save themselves, submit checks', async () => {
    const a = fx.addAssignment(USERS.reader, { status: 'pending', context: { ageBand5y: '60-64', bcvaOD: 0.8 } });
    const page = b.page();
    await openRead(page, a.ref);
    await page.getByRole('heading', { name: `Case ${a.ref}` }).waitFor();
    // The image session is embedded beside the form (the local shim: an iframe of the streaming URL).
    const frame = page.frameLocator('#read-stream-embed iframe');
    await frame.locator('#viewer').waitFor();
    await expect(page.locator('#read-stream-embed iframe').getAttribute('title')).resolves.toBe('Image viewer for this case');
    await expect(page.locator('#read-stream-embed iframe').getAttribute('data-hidden-elements')).resolves.toBe('files_button,clipboard_button,copy_local_button,paste_remote_button');
    await page.getByText('Image session running.').waitFor();
    await expect(page.getByText('Best-corrected visual acuity, right eye').isVisible()).resolves.toBe(true);

    // Keyboard only from here: the skip link, then Tab and arrow keys.
    await page.locator('h1').focus();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to the diagnosis form');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('diagnosis');
    await tabTo(page, (el) => (el as HTMLInputElement).name === 'q-OD-fundusQuality');
    // Visible focus: an outline on the focused control.
    await expect(page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).resolves.toBe('solid');
    await page.keyboard.press('Space'); // Good
    await radio(page, 'OD', 'icdrLevel', 'none').waitFor();
    await page.keyboard.press('ArrowDown'); // Fair, gradable
    await page.keyboard.press('ArrowDown'); // Ungradable: the grading questions go, the reasons come
    await page.locator('input[name="q-OD-fundusUngradableReason"]').first().waitFor();
    expect(await radio(page, 'OD', 'icdrLevel', 'none').count()).toBe(0);
    await page.keyboard.press('ArrowUp'); // back to gradable
    await radio(page, 'OD', 'icdrLevel', 'none').waitFor();
    await tabTo(page, (el) => (el as HTMLInputElement).name === 'q-OD-icdrLevel');
    await page.keyboard.press('Space');
    await tabTo(page, (el) => (el as HTMLInputElement).name === 'q-OD-dme');
    await page.keyboard.press('ArrowDown'); // present: its severity appears
    await radio(page, 'OD', 'dmeSeverity', 'mild').waitFor();
    await tabTo(page, (el) => el.id === 'q-OD-vcdr');
    await page.keyboard.type('0.33'); // off the 0.05 grid: said on the field, never sent
    await expect(page.locator('#q-OD-vcdr-error').textContent()).resolves.toBe('Enter a multiple of 0.05 (from 0).');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('q-OD-vcdr'); // typing goes on undisturbed
    await expect(page.locator('#q-OD-vcdr').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByText('Not saved: correct the marked answers').waitFor();
    await pause(page, 2000); // longer than the autosave's pause: still nothing sent
    await page.keyboard.press('Backspace');
    await page.keyboard.type('5');
    await pause(page);

    // Saved by itself after a pause, with the version edited and a key per request.
    const expected = { answers: { eyes: { OD: { fundusQuality: 'fair_gradable', icdrLevel: 'none', dme: 'present', vcdr: 0.35 } }, participant: {} }, submit: false };
    await eventually(async () => expect(saves().at(-1)?.body).toEqual(expected));
    expect(saves()[0].headers['if-match']).toBe('"0"');
    expect(saves().at(-1)!.headers['if-match']).toBe(`"${saves().length - 1}"`);
    for (const s of saves()) expect(s.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(saves().some((s) => JSON.stringify(s.body).includes('0.33'))).toBe(false);
    await page.getByText(/^Saved at /).waitFor();
    expect(await b.axe()).toEqual([]);
    await b.shot('draft saved');

    // Submit before it is complete: a summary of what is missing, focused, linking to each field.
    await tabTo(page, (el) => el.textContent === 'Submit', 200);
    await page.keyboard.press('Enter');
    const summary = page.locator('.summary');
    await summary.waitFor();
    // The summary takes the focus in an effect, after it is painted.
    await eventually(async () => expect(await page.evaluate(() => document.activeElement?.classList.contains('summary'))).toBe(true));
    await expect(summary.textContent()).resolves.toContain('Left eye (OS): Fundus photograph quality – Answer this question.');
    expect(await b.axe()).toEqual([]);
    await b.shot('submit refused');
    await summary.getByRole('link', { name: /Left eye \(OS\): Fundus photograph quality/ }).click();
    await expect(page.evaluate(() => (document.activeElement as HTMLInputElement).name)).resolves.toBe('q-OS-fundusQuality');
    expect(page.url()).toMatch(/#\/read\//); // the route stayed
    expect(saves().filter((s) => (s.body as { submit: boolean }).submit)).toHaveLength(0);

    await answerRequired(page);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.getByText('Submitted. You can still amend it while the case waits for its other reads.').waitFor();
    const submitted = saves().at(-1)!;
    expect(submitted.body).toMatchObject({ submit: true });
    expect(fx.assignments[0].status).toBe('submitted');
    await b.shot('submitted');
    expect(await b.axe()).toEqual([]);
    // Home counts it at once.
    await page.getByRole('link', { name: 'Back to my cases' }).click();
    const figures = page.locator('dl.figures');
    await eventually(async () => expect(await figures.textContent()).toBe('Open0Submitted1SiteSNUH'));
  });

  it('shows the server’s validation message on its field', async () => {
    const a = fx.addAssignment(USERS.reader, { facts: { octPresent: true, eyes: ['OD', 'OS'] } });
    const page = b.page();
    await openRead(page, a.ref);
    await radio(page, 'OD', 'fundusQuality', 'good').check();
    await pause(page);
    await eventually(async () => expect(saves()).toHaveLength(1));
    // The server knows better than the page: this case has no OCT, so no OCT question applies.
    a.facts = { octPresent: false, eyes: ['OD', 'OS'] };
    await radio(page, 'OD', 'octQuality', 'good').check();
    await pause(page);
    await page.getByText('Not saved', { exact: true }).waitFor();
    const message = page.locator('#q-OD-octQuality-error');
    await expect(message.textContent()).resolves.toBe('This question does not apply with your other answers; its answer is left out.');
    await expect(page.locator('#q-OD-octQuality-group').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('.summary').textContent()).resolves.toContain('Right eye (OD): OCT quality');
    expect(await b.axe()).toEqual([]);
    await b.shot('server message on the field');
  });

  it('on a version conflict keeps the reader’s answers, shows the other version, and saves over it on request', async () => {
    const a = fx.addAssignment(USERS.reader);
    const page = b.page();
    await openRead(page, a.ref);
    await radio(page, 'OD', 'fundusQuality', 'good').check();
    await pause(page);
    await eventually(async () => expect(saves()).toHaveLength(1));
    await page.getByText(/^Saved at /).waitFor();
    fx.saveElsewhere(a, { eyes: { OD: { fundusQuality: 'ungradable' } }, participant: { referral: 'urgent' } });
    await radio(page, 'OD', 'icdrLevel', 'moderate_npdr').check();
    await pause(page);
    await page.getByRole('heading', { name: 'This read was changed somewhere else' }).waitFor();
    await expect(radio(page, 'OD', 'icdrLevel', 'moderate_npdr').isChecked()).resolves.toBe(true);
    const banner = page.locator('.conflict-banner');
    await expect(banner.textContent()).resolves.toContain('Right eye (OD): Fundus photograph quality – other version: Ungradable');
    await expect(banner.textContent()).resolves.toContain('Both eyes: Referral – other version: Urgent');
    await expect(page.locator('#q-OD-fundusQuality-note').textContent()).resolves.toBe('other version: Ungradable');
    expect(await b.axe()).toEqual([]);
    await b.shot('conflict');
    await page.getByRole('button', { name: 'Keep my answers and save them' }).click();
    await eventually(async () => expect(a.read!.version).toBe(3));
    expect(saves().at(-1)!.headers['if-match']).toBe('"2"');
    expect(a.read!.answers.eyes.OD).toMatchObject({ fundusQuality: 'good', icdrLevel: 'moderate_npdr' });
  });

  it('when the sign-in expires, keeps the draft, asks the same person to sign in again, then saves', async () => {
    const a = fx.addAssignment(USERS.reader);
    const page = b.page();
    await openRead(page, a.ref);
    await radio(page, 'OD', 'fundusQuality', 'good').check();
    await pause(page);
    await eventually(async () => expect(saves()).toHaveLength(1));
    // The refresh token is revoked and the ID token no longer accepted.
    fx.refusedRefresh.add(fx.refreshTokenOf(USERS.reader));
    fx.expireIdTokens();
    await radio(page, 'OD', 'icdrLevel', 'pdr').check();
    await pause(page);
    const dialog = page.getByRole('dialog', { name: 'Your sign-in has ended' });
    await dialog.waitFor();
    await expect(dialog.getByLabel('User name').inputValue()).resolves.toBe(USERS.reader.username);
    await expect(dialog.getByLabel('User name').getAttribute('readonly')).resolves.not.toBeNull();
    expect(await b.axe()).toEqual([]);
    await b.shot('sign in again');
    // The draft is still on the page, and kept in the browser until the server has it.
    await expect(radio(page, 'OD', 'icdrLevel', 'pdr').isChecked()).resolves.toBe(true);
    expect(await page.evaluate((ref) => Object.keys(localStorage).find((k) => k.endsWith(ref)), a.ref)).toBeDefined();
    await dialog.getByLabel('Password').fill('whatever-moto-style');
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.getByLabel('6-digit code from the app').fill('123456');
    await dialog.getByRole('button', { name: 'Verify' }).click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(async () => expect(a.read!.answers.eyes.OD).toMatchObject({ icdrLevel: 'pdr' }));
    await page.getByText(/^Saved at /).waitFor();
    expect(await page.evaluate((ref) => Object.keys(localStorage).find((k) => k.endsWith(ref)), a.ref)).toBeUndefined();
  });

  it('survives a failing network: says so, keeps the answers through a reload, saves once it is back', async () => {
    const a = fx.addAssignment(USERS.reader);
    const page = b.page();
    await openRead(page, a.ref);
    await answerOffline(page);
    expect(saves()).toHaveLength(3); // the client's own retries, one key
    expect(new Set(saves().map((s) => s.headers['idempotency-key'])).size).toBe(1);
    await b.shot('offline');
    // Reload while still unsaved: the local copy comes back and is saved.
    fx.faults.set('PUT /assignments/{ref}/read', []);
    await page.reload();
    await expect(radio(page, 'OS', 'fundusQuality', 'ungradable').isChecked()).resolves.toBe(true);
    await pause(page);
    await eventually(async () => expect(a.read?.answers.eyes.OS).toEqual({ fundusQuality: 'ungradable' }));
  });

  it('asks before sign-out discards answers not saved yet; staying keeps them; signing out leaves none in the browser', async () => {
    const a = fx.addAssignment(USERS.reader);
    const page = b.page();
    await openRead(page, a.ref);
    const drafts = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('readroom.draft.')));
    await answerOffline(page);
    expect(await drafts()).toHaveLength(1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    const dialog = page.getByRole('dialog', { name: 'Answers not saved yet' });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain('has not saved yet: 1.');
    // The safe choice has the focus: Enter or Escape keeps the answers.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Stay signed in');
    expect(await b.axe()).toEqual([]);
    await b.shot('sign-out with unsaved answers');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await drafts()).toHaveLength(1);
    await expect(radio(page, 'OS', 'fundusQuality', 'ungradable').isChecked()).resolves.toBe(true);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign out and discard them' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await drafts()).toEqual([]);
    expect(await page.evaluate(() => localStorage.getItem('readroom.lang'))).toBeNull(); // never chosen: nothing else written
  });

  it("uses AWS's embed script when the operator provides it, hiding the files and clipboard buttons", async () => {
    const aws = await servePortal({ config: fixtureConfig({ embedShim: undefined, embedScriptPath: '/vendor/appstream-embed.js' }), files: { '/vendor/appstream-embed.js': { type: 'text/javascript', body: FAKE_AWS_EMBED_JS } } });
    try {
      const a = fx.addAssignment(USERS.reader);
      const page = b.page();
      await openRead(page, a.ref, aws);
      await page.getByText('Image session running.').waitFor();
      const calls = (await page.evaluate('window.__embedCalls')) as Array<{ containerId: string; options: { sessionURL: string; userInterfaceConfig: Record<string, string[]> } }>;
      expect(calls).toHaveLength(1);
      expect(calls[0].containerId).toBe('read-stream-embed');
      expect(calls[0].options.sessionURL).toMatch(/^https:\/\/appstream2\.ap-northeast-2\.aws\.amazon\.com\/authenticate\?parameters=/);
      expect(calls[0].options.userInterfaceConfig).toEqual({ 'aws:hiddenElements': ['aws:files', 'aws:clipboard', 'aws:copyLocal', 'aws:pasteRemote'] });
      await page.getByRole('button', { name: 'End the image session' }).click();
      await page.getByText('The image session has ended.').waitFor();
      expect(await page.evaluate('window.__embedCalls.length')).toBe(2);
      // Open again: a new streaming URL.
      await page.getByRole('button', { name: 'Open the images again' }).click();
      await page.getByText('Image session running.').waitFor();
      expect(fx.calls('POST', /\/session$/)).toHaveLength(2);
    } finally {
      await aws.close();
    }
  });

  it('without the embed script opens the images in a new tab, and says so', async () => {
    const plain = await servePortal({ config: fixtureConfig({ embedShim: undefined }) });
    try {
      const a = fx.addAssignment(USERS.reader);
      const page = b.page();
      await openRead(page, a.ref, plain);
      await page.getByText('The images cannot be shown inside this page here: they open in a new browser tab.').waitFor();
      const link = page.getByRole('link', { name: 'Open the images in a new tab' });
      await expect(link.getAttribute('target')).resolves.toBe('_blank');
      await expect(link.getAttribute('rel')).resolves.toBe('noopener noreferrer');
      await expect(link.getAttribute('href')).resolves.toMatch(/^https:\/\/appstream2\./);
      expect(await b.axe()).toEqual([]);
      await b.shot('new tab');
    } finally {
      await plain.close();
    }
  });

  it('is all Korean in Korean, option labels from the form included', async () => {
    const a = fx.addAssignment(USERS.reader, { context: { ageBand5y: '60-64' } });
    const page = await b.isolatedPage({ locale: 'ko-KR', viewport: { width: 1280, height: 900 } });
    await fx.open(page, USERS.reader, `${server.url}/#/read/${a.ref}`, { clock: true });
    await page.getByRole('heading', { name: `증례 ${a.ref}` }).waitFor();
    await radio(page, 'OD', 'fundusQuality', 'good').check();
    await radio(page, 'OD', 'dme', 'present').check();
    await page.getByRole('radio', { name: '양호' }).first().waitFor();
    await page.getByRole('button', { name: '제출' }).click();
    await page.locator('.summary').waitFor();
    await pause(page);
    await page.getByText(/에 저장됨$/).waitFor();
    expect(await untranslated(page, [new RegExp(a.ref)])).toEqual([]);
    expect(await b.axe(page)).toEqual([]);
    await b.shot('korean reading page', page);
  });
});
