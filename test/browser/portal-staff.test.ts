/**
 * The adjudicator's and the coordinator's pages in real Chromium: the adjudication list and page
 * (reads masked A and B side by side, a choice per disagreement, a reason code, the idempotent
 * PUT, the refusals), the coordinator's progress, bulk assignment, export and audit log; English
 * and Korean, axe-core on each. The API is the fixture stand-in (test/helpers/portal-fixtures.ts)
 * for what the local room cannot reach (injected failures, refusals, paging, recorded request
 * bodies); a real adjudication and a real export run against the room in room.test.ts.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { PortalServer } from '../../portal/serve';
import { eventually, useBrowser, warmAxe } from '../helpers/browser';
import { fixtureConfig, PortalFixtures, USERS, type FixtureUser } from '../helpers/portal-fixtures';
import { servePortal, untranslated } from '../helpers/portal-page';
import { utcDay } from '../helpers/utc-day';

// One context and page for the file (each test signs in afresh on a new document; the helper
// removes its routes and init scripts and empties the storage after it).
const b = useBrowser('portal-staff', {}, { oneContext: true });
let server: PortalServer;
let fx: PortalFixtures;
/**
 * The Korean tests' context (the browser's language), opened while the portal is served, with a
 * page in which axe-core has been evaluated once (its renderer then evaluates it in a new document
 * in ≈ 0.3 s instead of ≈ 1.2 s): the adjudication's Korean test uses that page, the
 * coordinator's a new page of its own in the same context.
 */
let korean: BrowserContext | undefined;
let warmKoreanPage: Page;

beforeAll(async () => {
  const opening = (async () => {
    korean = await b.browser().newContext({ locale: 'ko-KR', viewport: { width: 1280, height: 900 } });
    warmKoreanPage = await korean.newPage();
    await warmAxe(warmKoreanPage);
  })();
  server = await servePortal({ config: fixtureConfig() });
  await opening;
});
afterAll(async () => {
  await korean?.close();
  await server?.close();
});
beforeEach(() => {
  fx = new PortalFixtures();
});

const open = (page: Page, user: FixtureUser, path = '/') => fx.open(page, user, `${server.url}${path}`);

describe('adjudication', () => {
  it('lists open tasks with what the reads disagree on, and opens one with reads A and B side by side', async () => {
    fx.addAdjudication('CASE-0042');
    const page = b.page();
    await open(page, USERS.adjudicator);
    // An adjudicator's home is the list.
    await page.getByRole('heading', { name: 'Adjudication', level: 1 }).waitFor();
    const row = page.locator('table.list tbody tr').first();
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('D2 · Right eye (OD): DR severity (International Clinical DR scale)');
    expect(await b.axe()).toEqual([]);
    await b.shot('list');
    await row.getByRole('link', { name: 'Adjudicate case CASE-0042' }).click();

    await page.getByRole('heading', { name: 'Adjudication of case CASE-0042' }).waitFor();
    await page.frameLocator('#adj-stream-embed iframe').locator('#viewer').waitFor();
    const disputed = page.getByRole('group', { name: /^Right eye \(OD\): DR severity/ });
    await expect(disputed.getByRole('definition').allTextContents()).resolves.toEqual(['No apparent retinopathy', 'Severe non-proliferative DR']);
    // No reader is named anywhere: only the labels.
    const html = await page.content();
    for (const u of Object.values(USERS)) expect(html).not.toContain(u.sub);

    // Nothing chosen for the disagreement and no reason: said on each, nothing sent.
    await page.getByRole('button', { name: 'Record the final answers' }).click();
    await page.getByText('Choose the final answer for this disagreement.').waitFor();
    await page.getByText('Choose a reason.', { exact: true }).waitFor();
    expect(fx.calls('PUT', /^\/adjudications\//)).toHaveLength(0);
    expect(await b.axe()).toEqual([]);
    await b.shot('refused');

    // "Another value" offers the question's own options; then B is taken after all.
    await disputed.getByRole('radio', { name: 'Another value' }).check();
    await disputed.getByRole('radio', { name: 'Moderate non-proliferative DR' }).waitFor();
    await disputed.getByRole('radio', { name: /^Read B:/ }).check();
    await page.getByLabel('Reason for the decision').selectOption('other');
    await page.getByRole('button', { name: 'Record the final answers' }).click();
    await page.getByText('Write a note for the reason “Other”.').waitFor();
    await page.getByLabel('Note').fill('Haemorrhages in four quadrants');
    await page.getByRole('button', { name: 'Record the final answers' }).click();
    await page.getByText(/^Resolved on .*Final answers recorded\.$/).waitFor();
    const put = fx.calls('PUT', /^\/adjudications\//)[0];
    expect(put.body).toEqual({ picks: { eyes: { OD: { icdrLevel: 'B' } } }, reasonCode: 'other', note: 'Haemorrhages in four quadrants' });
    expect(put.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    await expect(page.locator('table.list').textContent()).resolves.toContain('Severe non-proliferative DR');
    expect(await b.axe()).toEqual([]);
    await b.shot('resolved');
  });

  it('sends a new value and repeats a failed decision with the same key', async () => {
    fx.addAdjudication('CASE-0043');
    fx.faults.set('PUT /adjudications/{caseId}', ['network', 'network', 'network']);
    // On Playwright's clock (in a context of its own): the API client's retry pauses pass at once.
    const page = await b.isolatedPage();
    await fx.open(page, USERS.adjudicator, `${server.url}/#/adjudications/CASE-0043`, { clock: true });
    const disputed = page.getByRole('group', { name: /^Right eye \(OD\): DR severity/ });
    await disputed.getByRole('radio', { name: 'Another value' }).check();
    await disputed.getByRole('radio', { name: 'Moderate non-proliferative DR' }).check();
    await page.getByLabel('Reason for the decision').selectOption('neither_correct');
    await page.getByRole('button', { name: 'Record the final answers' }).click();
    // The client's own retries, 0.4 s and 1.5 s after each failure.
    const puts = () => fx.calls('PUT', /^\/adjudications\//);
    await eventually(() => expect(puts()).toHaveLength(1));
    await page.clock.fastForward(400);
    await eventually(() => expect(puts()).toHaveLength(2));
    await page.clock.fastForward(1500);
    await page.getByText('The reading service could not be reached').waitFor();
    expect(puts()).toHaveLength(3);
    await page.getByRole('button', { name: 'Record the final answers' }).click();
    await page.getByText(/^Resolved on /).waitFor();
    expect(puts().at(-1)!.body).toEqual({ picks: { eyes: { OD: { icdrLevel: { value: 'moderate_npdr' } } } }, reasonCode: 'neither_correct' });
    expect(new Set(puts().map((p) => p.headers['idempotency-key'])).size).toBe(1);
  });

  it('says why an adjudicator is refused: dual role, conflict of interest', async () => {
    const page = b.page();
    await open(page, USERS.dual, '/#/adjudications');
    await page.getByText('You are also a coordinator or administrator').waitFor();
    fx.addAdjudication('CASE-0044', { conflict: true });
    const other = await b.context().newPage();
    await fx.install(other);
    await fx.signInAs(other, USERS.adjudicator);
    await other.goto(`${server.url}/#/adjudications/CASE-0044`);
    await other.getByText('You cannot adjudicate this case: you read it, were excluded from it, or it is from your own site.').waitFor();
    expect(await b.axe(other)).toEqual([]);
  });

  it('is all Korean in Korean', async () => {
    fx.addAdjudication('CASE-0045');
    const page = warmKoreanPage;
    await open(page, USERS.adjudicator, '/#/adjudications/CASE-0045');
    await page.getByRole('heading', { name: '증례 CASE-0045 최종 판정' }).waitFor();
    await page.getByRole('button', { name: '최종 답 기록' }).click();
    await page.getByText('사유를 고르세요.', { exact: true }).waitFor();
    expect(await untranslated(page, [/CASE-0045/])).toEqual([]);
    expect(await b.axe(page)).toEqual([]);
    await b.shot('korean adjudication', page);
    await page.close();
  });
});

describe('coordinator', () => {
  it('shows progress per reader and per case state, and rejected manifests with their reasons, a page at a time', async () => {
    const page = b.page();
    await open(page, USERS.coordinator);
    await page.getByRole('heading', { name: 'Study progress', level: 1 }).waitFor();
    const figures = page.locator('dl.figures').first();
    await figures.waitFor();
    await expect(figures.textContent()).resolves.toBe('Being read40In adjudication3Final7All cases50');
    const readers = page.locator('section[aria-labelledby="readers-title"] tbody tr');
    await eventually(async () => expect(await readers.count()).toBe(2));
    await page.locator('section[aria-labelledby="readers-title"]').getByRole('button', { name: 'Show more' }).click();
    await eventually(async () => expect(await readers.count()).toBe(3));
    expect(fx.calls('GET', /^\/progress$/).at(-1)!.query).toEqual({ limit: '50', cursor: 'readers-2', rejections: '0' });
    await expect(page.locator('section[aria-labelledby="rejections-title"]').textContent()).resolves.toContain("files.0.key · missing files.0.key: 'od.jpg' is not in the case folder");
    expect(await b.axe()).toEqual([]);
    await b.shot('progress');
  });

  it('previews and makes a bulk assignment, naming the readers left out and why', async () => {
    const page = b.page();
    await open(page, USERS.coordinator, '/#/coordinator/assign');
    await page.getByRole('heading', { name: 'Assign cases to readers' }).waitFor();
    await page.getByLabel('Cases (one id a line; empty: the oldest open cases)').fill('CASE-0101\nCASE-0102');
    await page.getByLabel('Exclusions (a line per reader: reader id, then the case ids it must not read)').fill('sub-reader-lee CASE-0102');
    await page.getByLabel('Reads per case').fill('2');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText('Preview: nothing was written.').waitFor();
    expect(fx.calls('POST', /^\/assignments$/)[0].body).toEqual({ caseIds: ['CASE-0101', 'CASE-0102'], exclusions: [{ readerId: 'sub-reader-lee', caseIds: ['CASE-0102'] }], readsPerCase: 2, allowSameSite: false, hiddenRepeats: true, dryRun: true });
    await expect(page.locator('.result').textContent()).resolves.toContain(`${USERS.nosite.sub}: no site set`);
    await expect(page.locator('.result').textContent()).resolves.toContain('CASE-0102: no eligible reader (1 missing)');
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await page.getByText('Assigned.').waitFor();
    expect(fx.calls('POST', /^\/assignments$/)[1].body).toMatchObject({ dryRun: false });
    expect(await b.axe()).toEqual([]);
    await b.shot('assigned');
  });

  it('shows the audit log of a day', async () => {
    fx.audit.push(
      { at: '2026-12-03T08:00:00.000Z', id: 'a1', actor: USERS.reader.sub, action: 'read_submitted', caseId: 'CASE-0001', detail: { version: 2 } },
      { at: '2026-12-03T09:00:00.000Z', id: 'a2', actor: USERS.reader.sub, action: 'session_issued', caseId: 'CASE-0001', sessionHash: 'aGFzaGhhc2hoYXNo', detail: { purpose: 'read' } },
      { at: '2026-12-04T09:00:00.000Z', id: 'a3', actor: 'system', action: 'final_recorded', caseId: 'CASE-0001' },
    );
    const page = b.page();
    await open(page, USERS.coordinator, '/#/coordinator/audit');
    await page.getByText('No event on this day.').waitFor(); // today's is empty
    await page.getByLabel('Day (UTC)').fill('2026-12-03');
    await page.getByRole('button', { name: 'Show' }).click();
    const rows = page.locator('table.list tbody tr');
    await eventually(async () => expect(await rows.count()).toBe(2));
    await expect(rows.nth(0).textContent()).resolves.toContain('Read submitted');
    await expect(rows.nth(1).textContent()).resolves.toContain('session=aGFzaGhhc2…');
    expect(fx.calls('GET', /^\/audit$/).at(-1)!.query).toEqual({ day: '2026-12-03', limit: '100' });
    expect(await b.axe()).toEqual([]);
    await b.shot('audit');
  });

  it('is all Korean in Korean, on every tab', async () => {
    // The audit tab shows the page's today: the page's clock stands still at this moment (its
    // timers still run), so the event is on the day it asks for even if midnight (UTC) passes
    // meanwhile. The Korean context's last test: the adjudication's Korean test ran before.
    const now = Date.now();
    await korean!.clock.setFixedTime(now);
    fx.audit.push({ at: `${utcDay(now)}T00:00:01.000Z`, id: 'a1', actor: 'system', action: 'export_completed' });
    const page = await korean!.newPage();
    await open(page, USERS.coordinator);
    await page.locator('section[aria-labelledby="rejections-title"] tbody tr').waitFor();
    expect(await untranslated(page)).toEqual([]);
    expect(await b.axe(page)).toEqual([]);
    await b.shot('korean progress', page);
    for (const [tab, ready] of [
      ['증례 배정', '판독자에게 증례 배정'],
      ['내보내기', '결과 내보내기'],
      ['감사 기록', '내보내기 완료'],
    ] as const) {
      await page.getByRole('link', { name: tab }).click();
      await page.getByText(ready, { exact: true }).first().waitFor();
      expect([tab, await untranslated(page)]).toEqual([tab, []]);
      expect(await b.axe(page)).toEqual([]);
    }
    await page.close();
  });
});
