/**
 * End to end in real Chromium against the local reading room (`npm start`, started here on a free
 * port with its demo study): a study's whole path through the real portal, gateway, handlers,
 * moto's Cognito (TOTP codes checked), the AppStream stand-in and the viewer.
 *
 * The tests run in order and build on each other, as the study does: reader.new and reader.lee
 * hold the same waiting case (the seed's `sharedCase`); the first reads it as healthy, the second
 * as severe, the adjudicator decides, the coordinator exports. axe-core checks each page; a failing
 * step leaves a screenshot in test-artifacts/browser/room/ (test/helpers/browser.ts).
 *
 * Like the study's people at one workstation, the steps share one browser page: each person signs
 * out (checked: the portal forgets them) and the next signs in on the same page, so the portal's
 * document, and axe-core compiled in its renderer, carry over from step to step
 * (`keepPage`). The Korean step has a context of its own (the browser's language), opened and
 * warmed while the room starts.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Page, Response } from 'playwright-core';
import { startRoom, type Room } from '../../local/room';
import { MIN_CASES_PER_SITE } from '../../local/seed/study';
import { DEMO_PASSWORD, TEMPORARY_PASSWORD } from '../../local/seed/users';
import { useBrowser, warmAxe } from '../helpers/browser';
import { testMoto } from '../helpers/moto';
import { enterTotpCode } from '../helpers/totp-page';
import { untranslated } from '../helpers/portal-page';

/** Each step is a person's whole task (sign-in included, axe on every page): minutes on a busy 2-core machine. */
const STEP_MS = 240_000;
let room: Room;
/** The shared case's ref as reader.new knows it (another reader must get nothing with it). */
let newReadersRef = '';

/**
 * The room starts in a hook before the browser's, not awaited there, so Chromium launches (the
 * browser helper's hook) while the study is seeded; the hook after the browser's waits for it. The
 * jest worker's moto (the suite's: the same answers, a fraction of the CPU, already running; its
 * own when the run has none) and the fewest cases the seed's reading state allows: the steps below use the seeded users and reads, not the 50
 * cases' number (which test/local/seed/study.test.ts checks).
 */
let starting: Promise<Room> | undefined;
beforeAll(() => {
  starting = startRoom({ port: 0, casesPerSite: MIN_CASES_PER_SITE, moto: testMoto });
  // Its failure is reported by the hook that awaits it.
  starting.catch(() => undefined);
});
const b = useBrowser('room', {}, { oneContext: true, keepPage: true });
/** The Korean step's page, in a browser context of its own, opened while the room starts. */
let korean: Page;
beforeAll(async () => {
  const context = await b.browser().newContext({ locale: 'ko-KR', viewport: { width: 1280, height: 720 } });
  korean = await context.newPage();
  // axe-core's first evaluation in the context's renderer (≈ 1 s) happens meanwhile, not in the step.
  await warmAxe(korean);
  room = await starting!;
}, 180_000);
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.stop();
});

const radio = (page: Page, eye: 'OD' | 'OS' | 'P', key: string, value: string) => page.locator(`input[name="q-${eye}-${key}"][value="${value}"]`);

/** Answers what the default form requires for two gradable eyes; `icdrOD` is the right eye's DR grade. */
async function answerRequired(page: Page, icdrOD: string): Promise<void> {
  for (const eye of ['OD', 'OS'] as const) {
    await radio(page, eye, 'fundusQuality', 'good').check();
    await radio(page, eye, 'icdrLevel', eye === 'OD' ? icdrOD : 'none').check();
    await radio(page, eye, 'dme', 'absent').check();
    await radio(page, eye, 'beckmanClass', 'no_aging_changes').check();
    await page.locator(`#q-${eye}-vcdr`).fill('0.3');
    await radio(page, eye, 'glaucomaLikelihood', 'no').check();
  }
  await radio(page, 'P', 'referral', 'none').check();
}

/** An enrolled demo user's sign-in: password, then the current code (moto's secret), accepted. */
async function signIn(page: Page, username: string, labels = { user: 'User name', password: 'Password', code: '6-digit code from the app' }): Promise<void> {
  // A fragment change only when the page already shows the portal (the last person signed out).
  await page.goto(`${room.portalUrl}/#/`);
  await page.getByLabel(labels.user).fill(username);
  await page.getByLabel(labels.password).fill(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByLabel(labels.code).waitFor();
  await enterTotpCode(page, () => page.keyboard.press('Enter'));
}

/** Signs the page's user out with the portal's button: the sign-in form, and nothing of theirs, is left. */
async function signOut(page: Page, username: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await expect(page.getByText(`Signed in as ${username}`).count()).resolves.toBe(0);
  expect(await page.locator('#read-stream-embed iframe, #adj-stream-embed iframe').count()).toBe(0);
  // The refresh token and the user name the portal keeps in sessionStorage for a reload.
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  // No answer of theirs left in localStorage for the next person at this browser.
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('readroom.draft.')))).toEqual([]);
}

/** One object the page's frames fetched from the scans bucket (the viewer's presigned GETs). */
interface Fetched {
  path: string;
  sha256: string;
}

/**
 * What the page's frames fetch from the scans bucket, with each body's SHA-256: a read session's
 * files are per-session copies under `views/<token>/` (blinding), so a file is recognised as the
 * case's by its bytes, never by its path. `settled()` waits for the bodies of every response seen.
 */
function caseFileFetches(page: Page): { settled(): Promise<Fetched[]> } {
  const pending: Array<Promise<Fetched | undefined>> = [];
  const seen = (r: Response) => {
    const path = decodeURIComponent(new URL(r.url()).pathname);
    if (!/\/(cases|views)\//.test(path)) return;
    pending.push(r.ok() ? r.body().then((body) => ({ path, sha256: createHash('sha256').update(body).digest('hex') })) : Promise.resolve({ path, sha256: `status ${r.status()}` }));
  };
  page.on('response', seen);
  return {
    // The page is the next step's too: what it fetches then is not this step's.
    settled: async () => {
      page.off('response', seen);
      return (await Promise.all(pending)).filter((f): f is Fetched => f !== undefined);
    },
  };
}

/** SHA-256 of every file of a case as stored (its manifest left out). */
async function caseHashes(caseId: string): Promise<Set<string>> {
  const listed = await room.s3.send(new ListObjectsV2Command({ Bucket: room.bucketName, Prefix: `cases/${caseId}/` }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => !k.endsWith('/manifest.json'));
  const bodies = await Promise.all(keys.map(async (Key) => (await room.s3.send(new GetObjectCommand({ Bucket: room.bucketName, Key }))).Body!.transformToByteArray()));
  return new Set(bodies.map((b) => createHash('sha256').update(b).digest('hex')));
}

/** The viewer fetched files, every one of them a file of `caseId`, and (for a read session) none under a path naming it. */
async function expectOnlyCaseFiles(fetches: { settled(): Promise<Fetched[]> }, caseId: string, session: 'read' | 'adjudication'): Promise<Fetched[]> {
  const got = await fetches.settled();
  const own = await caseHashes(caseId);
  expect(got.length).toBeGreaterThan(0);
  expect(got.filter((f) => !own.has(f.sha256))).toEqual([]);
  if (session === 'read') expect(got.filter((f) => f.path.includes(caseId) || !f.path.includes('/views/'))).toEqual([]);
  return got;
}

/** Opens the next case from home, waits for the viewer beside the form to show both eyes; returns the ref. */
async function readNext(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Read next case' }).click();
  await page.getByRole('heading', { name: /^Case [a-z2-7]{12}$/ }).waitFor();
  const ref = /#\/read\/([a-z2-7]{12})$/.exec(page.url())![1];
  const viewer = page.frameLocator('#read-stream-embed iframe');
  for (const eye of ['OD', 'OS']) await viewer.locator(`section[data-eye="${eye}"][data-loaded="true"]`).waitFor({ timeout: 30_000 });
  await expect(viewer.getByText(`Case ${ref}`).first().isVisible()).resolves.toBe(true);
  return ref;
}

describe('the local reading room, end to end', () => {
  it('a new reader sets a password, enrols an authenticator, opens the next case beside its images and submits', async () => {
    const page = b.page();
    const files = caseFileFetches(page);
    await page.goto(`${room.portalUrl}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await b.axe()).toEqual([]);
    await b.shot('sign in');
    await page.getByLabel('User name').fill('reader.new');
    await page.getByLabel('Password').fill(TEMPORARY_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill('My-own-Password-2026');
    await page.getByLabel('New password again').fill('My-own-Password-2026');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    await page.getByRole('img', { name: 'QR code to add ReadRoom to an authenticator app' }).waitFor();
    const secret = (await page.locator('code.secret').textContent())!.replace(/ /g, '');
    expect(await b.axe()).toEqual([]);
    await b.shot('authenticator set-up');
    await page.getByLabel('6-digit code from the app').waitFor();
    await enterTotpCode(page, () => page.getByRole('button', { name: 'Verify' }).click(), secret);

    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();
    await page.getByText('Signed in as reader.new').waitFor();
    expect(await b.axe()).toEqual([]);
    await b.shot('home');

    newReadersRef = await readNext(page);
    // The viewer fetched this case's files and no other case's, under this session's own names.
    const got = await expectOnlyCaseFiles(files, room.seeded!.sharedCase, 'read');
    expect(got.some((f) => /\/fundus-OD-\d+\.png$/.test(f.path))).toBe(true);
    expect(await b.axe()).toEqual([]);
    await b.shot('reading page');

    await answerRequired(page, 'none');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.getByText('Submitted. You can still amend it').waitFor({ timeout: 20_000 });
    expect(await b.axe()).toEqual([]);
    await b.shot('submitted');
  }, STEP_MS);

  it('a second reader submits a discordant read of the same case', async () => {
    const page = b.page();
    await signOut(page, 'reader.new');
    const files = caseFileFetches(page);
    await signIn(page, 'reader.lee');
    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();
    const ref = await readNext(page);
    expect(ref).not.toBe(newReadersRef); // the same case, under this reader's own ref
    await expectOnlyCaseFiles(files, room.seeded!.sharedCase, 'read');
    await answerRequired(page, 'severe_npdr');
    await b.shot('discordant read');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    // The second read completes the case (discordant: adjudication), so the read is closed at once.
    await page.getByText(/Submitted\. You can still amend it|This read is closed/).waitFor({ timeout: 20_000 });
    expect(await b.axe()).toEqual([]);
    await b.shot('submitted');
  }, STEP_MS);

  it("a reader who types another reader's assignment URL gets nothing", async () => {
    const page = b.page();
    await signOut(page, 'reader.lee');
    const files = caseFileFetches(page);
    await signIn(page, 'reader.kim');
    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();
    await page.goto(`${room.portalUrl}/#/read/${newReadersRef}`);
    await page.getByText('This case is not one of yours, or it does not exist.').waitFor();
    expect(await page.locator('form#diagnosis input').count()).toBe(0);
    expect(await page.locator('#read-stream-embed iframe').count()).toBe(0);
    expect(await files.settled()).toEqual([]);
    expect(await b.axe()).toEqual([]);
    await b.shot('not yours');
  }, STEP_MS);

  it('the adjudicator resolves the disagreement beside the images', async () => {
    const page = b.page();
    await signOut(page, 'reader.kim');
    const files = caseFileFetches(page);
    const caseId = room.seeded!.sharedCase;
    await signIn(page, 'adj.choi');
    await page.getByRole('heading', { name: 'Adjudication', level: 1 }).waitFor();
    await page.getByRole('link', { name: `Adjudicate case ${caseId}` }).click();
    await page.getByRole('heading', { name: `Adjudication of case ${caseId}` }).waitFor();
    const viewer = page.frameLocator('#adj-stream-embed iframe');
    for (const eye of ['OD', 'OS']) await viewer.locator(`section[data-eye="${eye}"][data-loaded="true"]`).waitFor({ timeout: 30_000 });
    await expectOnlyCaseFiles(files, caseId, 'adjudication');
    const disputed = page.getByRole('group', { name: /^Right eye \(OD\): DR severity/ });
    await expect(disputed.getByRole('definition').allTextContents()).resolves.toEqual(expect.arrayContaining(['No apparent retinopathy', 'Severe non-proliferative DR']));
    expect(await b.axe()).toEqual([]);
    await b.shot('adjudication');
    await disputed.getByRole('radio', { name: 'Another value' }).check();
    await disputed.getByRole('radio', { name: 'Moderate non-proliferative DR' }).check();
    await page.getByLabel('Reason for the decision').selectOption('neither_correct');
    await page.getByRole('button', { name: 'Record the final answers' }).click();
    await page.getByText(/^Resolved on .*Final answers recorded\.$/).waitFor({ timeout: 20_000 });
    expect(await b.axe()).toEqual([]);
    await b.shot('resolved');
  }, STEP_MS);

  it('the coordinator exports, and the file holds the adjudicated value with its provenance', async () => {
    const page = b.page();
    await signOut(page, 'adj.choi');
    // The page's own clock, running as the real one until the export (below), installed before
    // the portal's next document starts its timers.
    await page.goto('about:blank');
    await page.clock.install();
    await signIn(page, 'coord.han');
    await page.getByRole('heading', { name: 'Study progress', level: 1 }).waitFor();
    expect(await b.axe()).toEqual([]);
    await b.shot('progress');
    await page.goto(`${room.portalUrl}/#/coordinator/export`);
    await page.getByRole('checkbox', { name: 'JSON' }).uncheck();
    await page.getByRole('button', { name: 'Start the export' }).click();
    // The page asks for the job at growing intervals (portal EXPORT_POLL_MS, up to 5 s). Once the job
    // is shown (POST /exports answered, so the room's worker is running it) and the worker has
    // finished, the page's clock jumps past its next poll instead of the test waiting it out.
    await page.locator('.export-job [role="status"]').waitFor();
    await room.exportsSettled();
    await page.clock.fastForward(10_000);
    await page.getByText(/: complete$/).waitFor({ timeout: 60_000 });
    expect(await b.axe()).toEqual([]);
    await b.shot('export complete');
    const href = (await page.getByRole('link', { name: 'grades.csv' }).getAttribute('href'))!;
    const csv = await (await fetch(href)).text();
    const [header, ...rows] = csv.trim().split(/\r\n/).map((l) => l.split(','));
    const col = (name: string) => header.indexOf(name);
    const row = rows.find((r) => r[col('case_id')] === room.seeded!.sharedCase && r[col('eye')] === 'OD' && r[col('question')] === 'icdrLevel');
    expect(row).toBeDefined();
    expect({ value: row![col('final_value')], provenance: row![col('provenance')], reason: row![col('adjudication_reason')] }).toEqual({ value: 'moderate_npdr', provenance: 'adjudicated', reason: 'neither_correct' });
    expect(row![col('decided_by')]).toMatch(/\S/);
    expect(row![col('decided_at')]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  }, STEP_MS);

  it('shows the reader pages in Korean with no untranslated string', async () => {
    const page = korean;
    await page.goto(`${room.portalUrl}/`);
    await page.getByRole('heading', { name: '로그인' }).waitFor();
    expect(await untranslated(page)).toEqual([]);
    await signIn(page, 'reader.yoon', { user: '사용자 이름', password: '비밀번호', code: '앱에 표시된 6자리 코드' });
    await page.getByRole('heading', { name: '내 증례', level: 1 }).waitFor();
    await page.locator('table.list tbody tr').first().waitFor();
    expect(await untranslated(page)).toEqual([]);
    expect(await b.axe(page)).toEqual([]);
    await b.shot('home in Korean', page);
    await page.getByRole('button', { name: '다음 증례 판독' }).click();
    await page.getByRole('heading', { name: /^증례 [a-z2-7]{12}$/ }).waitFor();
    const ref = /#\/read\/([a-z2-7]{12})$/.exec(page.url())![1];
    await page.frameLocator('#read-stream-embed iframe').locator('section[data-eye="OD"][data-loaded="true"]').waitFor({ timeout: 30_000 });
    expect(await untranslated(page, [new RegExp(ref)])).toEqual([]);
    expect(await b.axe(page)).toEqual([]);
    await b.shot('reading page in Korean', page);
    await page.context().close();
  }, STEP_MS);
});
