/**
 * The diagnosis form on the page: which questions show (the engine's visibility, as the server
 * decides it), what is sent, where messages go, and the read's state machine (autosave with
 * If-Match and an Idempotency-Key, offline retries, conflicts, submission, amendments, the local
 * copy) against a scripted API and fake timers.
 */
import { ApiError } from '../../portal/src/api/client';
import type { ReadView } from '../../portal/src/api/types';
import { differingFields, layoutOf, problemsByPath, withAnswer, emptyAnswers, type RawAnswers } from '../../portal/src/form/answers';
import { validateAnswers, type NormalisedAnswers } from '../../portal/src/form/engine';
import { AUTOSAVE_MS, draftKey, draftKeysOf, OFFLINE_RETRY_MS, ReadController, type ReadApi } from '../../portal/src/form/read-controller';
import { FakeTimers, MemoryStorage, settle } from '../helpers/fake-time';
import { DEFAULT_FORM } from '../../domain/reading-config';

const FACTS = { octPresent: false, eyes: ['OD', 'OS'] as Array<'OD' | 'OS'> };
const keys = (layout: ReturnType<typeof layoutOf>, eye: 'OD' | 'OS') => (layout.eye[eye] ?? []).flatMap((s) => s.questions.map((q) => q.question.key));

function gradable(): RawAnswers {
  const eye = { fundusQuality: 'good', icdrLevel: 'none', dme: 'absent', beckmanClass: 'no_aging_changes', vcdr: 0.3, glaucomaLikelihood: 'no' };
  return { eyes: { OD: { ...eye }, OS: { ...eye } }, participant: { referral: 'none' } };
}

describe('layout: what shows and what is sent', () => {
  it('asks only the quality question of an eye until it is graded gradable', () => {
    expect(keys(layoutOf(DEFAULT_FORM, emptyAnswers(), FACTS), 'OD')).toEqual(['fundusQuality']);
    const layout = layoutOf(DEFAULT_FORM, gradable(), FACTS);
    expect(keys(layout, 'OD')).toEqual(expect.arrayContaining(['icdrLevel', 'dme', 'beckmanClass', 'vcdr', 'glaucomaLikelihood', 'erm']));
    expect(keys(layout, 'OD')).not.toContain('dmeSeverity');
    // Derived items are the platform's: never a field.
    expect(keys(layout, 'OD')).not.toContain('iarmClass');
  });

  it('"ungradable" hides the grading questions and asks why; their answers are kept but not sent', () => {
    const answers = withAnswer(gradable(), { eye: 'OD', key: 'fundusQuality' }, 'ungradable');
    const layout = layoutOf(DEFAULT_FORM, answers, FACTS);
    expect(keys(layout, 'OD')).toEqual(['fundusQuality', 'fundusUngradableReason']);
    expect(layout.effective.eyes.OD).toEqual({ fundusQuality: 'ungradable' });
    expect(answers.eyes.OD!.icdrLevel).toBe('none'); // choosing "good" again brings it back
    expect(keys(layoutOf(DEFAULT_FORM, withAnswer(answers, { eye: 'OD', key: 'fundusQuality' }, 'good'), FACTS), 'OD')).toContain('icdrLevel');
    // What is sent passes the server's draft validation (hidden answers would be refused).
    expect(validateAnswers(DEFAULT_FORM, layout.effective, FACTS, { mode: 'draft' }).ok).toBe(true);
    expect(validateAnswers(DEFAULT_FORM, answers, FACTS, { mode: 'draft' })).toMatchObject({ ok: false, errors: expect.arrayContaining([expect.objectContaining({ path: 'eyes.OD.icdrLevel', rule: 'hidden' })]) });
  });

  it('shows follow-up questions when their condition holds, per eye, OCT questions only for eyes with an OCT', () => {
    let a = withAnswer(gradable(), { eye: 'OD', key: 'dme' }, 'present');
    a = withAnswer(a, { eye: 'OD', key: 'otherFindings' }, ['other']);
    const facts = { octPresent: true, octEyes: ['OD' as const], eyes: FACTS.eyes };
    const layout = layoutOf(DEFAULT_FORM, a, facts);
    expect(keys(layout, 'OD')).toEqual(expect.arrayContaining(['dmeSeverity', 'centreInvolvingOnOct', 'otherText', 'octQuality']));
    expect(keys(layout, 'OS')).not.toContain('dmeSeverity');
    expect(keys(layout, 'OS')).not.toContain('octQuality');
  });

  it('clears blank answers instead of sending them', () => {
    let a = withAnswer(emptyAnswers(), { key: 'comment' }, 'note');
    a = withAnswer(a, { key: 'comment' }, '   ');
    a = withAnswer(a, { eye: 'OD', key: 'laserScars' }, []);
    expect(a).toEqual({ eyes: {}, participant: {} });
  });

  it('puts server problems on their fields (the server prefixes answers.), the rest on the form', () => {
    const p = problemsByPath(
      [
        { path: 'answers.eyes.OD.vcdr', rule: 'step', message: 'x' },
        { path: 'answers', rule: 'type', message: 'y' },
        { path: 'answers.eyes.OD.vcdr', rule: 'range', message: 'second problem of one field: the first wins' },
      ],
      'server',
    );
    expect(p).toEqual({ 'eyes.OD.vcdr': { rule: 'step', message: 'x', source: 'server' }, $: { rule: 'type', message: 'y', source: 'server' } });
  });

  it('lists the fields two versions disagree on', () => {
    const a = gradable() as NormalisedAnswers;
    const b = withAnswer(gradable(), { eye: 'OS', key: 'icdrLevel' }, 'pdr') as NormalisedAnswers;
    delete b.participant.referral;
    expect(differingFields(a, b)).toEqual([{ key: 'referral' }, { eye: 'OS', key: 'icdrLevel' }]);
  });
});

// ---------------------------------------------------------------------------------------------

/** The reader API's read, as reader-api answers it, with its validator; failures can be injected. */
class FakeReadApi implements ReadApi {
  view: ReadView = { ref: 'abcdefghijkl', version: 0, status: 'not_started', editable: true, answers: { eyes: {}, participant: {} }, formId: 'f', formVersion: '1.0.0', facts: FACTS };
  saves: Array<{ answers: NormalisedAnswers; submit: boolean; version: number; key: string }> = [];
  fail: Array<ApiError> = [];
  private n = 0;
  newKey = () => `key-${++this.n}`;
  read = async () => structuredClone(this.view);
  saveRead = async (_ref: string, body: { answers: NormalisedAnswers; submit: boolean }, version: number, key: string) => {
    this.saves.push({ ...structuredClone(body), version, key });
    const f = this.fail.shift();
    if (f) throw f;
    if (version !== this.view.version) throw new ApiError(412, 'version_mismatch', 'x');
    const checked = validateAnswers(DEFAULT_FORM, body.answers, FACTS, { mode: body.submit ? 'submit' : 'draft' });
    if (!checked.ok) {
      const errors = checked.errors.map((e) => ({ ...e, path: `answers.${e.path}` }));
      throw new ApiError(400, 'validation_failed', 'x', errors[0].path, errors[0].rule, errors);
    }
    this.view = { ...this.view, version: version + 1, status: body.submit ? 'submitted' : 'draft', answers: checked.value };
    return structuredClone(this.view);
  };
}

async function loaded(view?: Partial<ReadView>, storage = new MemoryStorage()) {
  const api = new FakeReadApi();
  Object.assign(api.view, view);
  const timers = new FakeTimers();
  const c = new ReadController(api, DEFAULT_FORM, 'abcdefghijkl', 'sub-1', storage, timers);
  await c.load();
  return { api, timers, c, storage };
}

function fill(c: ReadController, answers: RawAnswers): void {
  for (const [eye, scope] of Object.entries(answers.eyes)) for (const [key, v] of Object.entries(scope!)) c.set({ eye: eye as 'OD', key }, v);
  for (const [key, v] of Object.entries(answers.participant)) c.set({ key }, v);
}

describe('ReadController', () => {
  it('saves a draft after a pause in typing, with If-Match and a key, then is clean and forgets its local copy', async () => {
    const { api, timers, c, storage } = await loaded();
    expect(c.status.value).toBe('clean');
    c.set({ eye: 'OD', key: 'fundusQuality' }, 'good');
    expect(c.status.value).toBe('dirty');
    expect(storage.getItem(draftKey('sub-1', 'abcdefghijkl'))).toContain('"fundusQuality":"good"');
    await timers.advance(AUTOSAVE_MS - 1);
    c.set({ eye: 'OD', key: 'icdrLevel' }, 'none'); // typing goes on: the pause starts again
    await timers.advance(AUTOSAVE_MS - 1);
    expect(api.saves).toHaveLength(0);
    await timers.advance(1);
    expect(api.saves).toEqual([{ answers: { eyes: { OD: { fundusQuality: 'good', icdrLevel: 'none' } }, participant: {} }, submit: false, version: 0, key: 'key-1' }]);
    expect(c.status.value).toBe('clean');
    expect(c.server.value!.version).toBe(1);
    expect(storage.getItem(draftKey('sub-1', 'abcdefghijkl'))).toBeNull();
  });

  it('holds the autosave while an answer is one the server would refuse, and says where', async () => {
    const { api, timers, c } = await loaded();
    c.set({ eye: 'OD', key: 'fundusQuality' }, 'good');
    c.set({ eye: 'OD', key: 'vcdr' }, 0.33); // off the 0.05 grid
    expect(c.status.value).toBe('invalid');
    expect(c.problems.value['eyes.OD.vcdr']).toMatchObject({ rule: 'step', source: 'client' });
    await timers.advance(10 * AUTOSAVE_MS);
    expect(api.saves).toHaveLength(0);
    c.set({ eye: 'OD', key: 'vcdr' }, 0.35);
    expect(c.status.value).toBe('dirty');
    expect(c.problems.value['eyes.OD.vcdr']).toBeUndefined();
    await timers.advance(AUTOSAVE_MS);
    expect(api.saves).toHaveLength(1);
  });

  it('after a network failure keeps the answers, tries again later with the same key, and then saves', async () => {
    const { api, timers, c, storage } = await loaded();
    api.fail.push(new ApiError(0, 'network', 'down'), new ApiError(503, 'internal', 'x'));
    c.set({ key: 'referral' }, 'urgent');
    await timers.advance(AUTOSAVE_MS);
    expect(c.status.value).toBe('offline');
    expect(storage.getItem(draftKey('sub-1', 'abcdefghijkl'))).toContain('urgent');
    await timers.advance(OFFLINE_RETRY_MS);
    expect(c.status.value).toBe('offline');
    await timers.advance(2 * OFFLINE_RETRY_MS); // the pause doubles
    expect(c.status.value).toBe('clean');
    expect(api.saves.map((s) => s.key)).toEqual(['key-1', 'key-1', 'key-1']);
    expect(storage.getItem(draftKey('sub-1', 'abcdefghijkl'))).toBeNull();
  });

  it('on a version conflict shows the other version beside the reader’s edits; the reader decides', async () => {
    const { api, timers, c } = await loaded();
    // Another tab saved version 1 meanwhile.
    api.view = { ...api.view, version: 1, status: 'draft', answers: { eyes: { OD: { fundusQuality: 'fair_gradable' } }, participant: {} } };
    c.set({ eye: 'OD', key: 'fundusQuality' }, 'good');
    await timers.advance(AUTOSAVE_MS);
    expect(c.status.value).toBe('conflict');
    expect(c.answers.value.eyes.OD!.fundusQuality).toBe('good');
    expect(c.theirs.value!.version).toBe(1);
    // Edits go on while the conflict is open, but nothing is sent.
    c.set({ key: 'referral' }, 'none');
    await timers.advance(10 * AUTOSAVE_MS);
    expect(api.saves).toHaveLength(1);
    c.resolveConflict('mine');
    await timers.advance(0);
    expect(api.saves[1]).toMatchObject({ version: 1, answers: { eyes: { OD: { fundusQuality: 'good' } }, participant: { referral: 'none' } } });
    expect(c.status.value).toBe('clean');
  });

  it('takes the other version when the reader chooses it', async () => {
    const { api, timers, c } = await loaded();
    api.view = { ...api.view, version: 1, status: 'draft', answers: { eyes: { OD: { fundusQuality: 'fair_gradable' } }, participant: {} } };
    c.set({ eye: 'OD', key: 'fundusQuality' }, 'good');
    await timers.advance(AUTOSAVE_MS);
    c.resolveConflict('theirs');
    expect(c.answers.value.eyes.OD!.fundusQuality).toBe('fair_gradable');
    expect(c.status.value).toBe('clean');
  });

  it('refuses to submit with required answers missing, names them on their fields, submits nothing, still saves the draft', async () => {
    const { api, c, timers } = await loaded();
    c.set({ eye: 'OD', key: 'fundusQuality' }, 'good');
    await expect(c.submit()).resolves.toBe(false);
    expect(c.submitRefused.value).toBe(true);
    expect(Object.keys(c.problems.value)).toEqual(expect.arrayContaining(['eyes.OD.icdrLevel', 'eyes.OS.fundusQuality', 'participant.referral']));
    expect(api.saves).toHaveLength(0);
    await timers.advance(AUTOSAVE_MS);
    expect(api.saves.map((s) => s.submit)).toEqual([false]);
    // The required problems stay shown while the reader answers, and go as each is answered.
    c.set({ key: 'referral' }, 'none');
    expect(c.problems.value['participant.referral']).toBeUndefined();
    expect(c.problems.value['eyes.OD.icdrLevel']).toMatchObject({ rule: 'required' });
  });

  it('submits once complete; later changes are an amendment, sent only with Submit', async () => {
    const { api, timers, c } = await loaded();
    fill(c, gradable());
    await expect(c.submit()).resolves.toBe(true);
    expect(c.status.value).toBe('submitted');
    expect(api.saves.at(-1)).toMatchObject({ submit: true, version: 0 });
    c.set({ key: 'referral' }, 'urgent');
    expect(c.amending.value).toBe(true);
    await timers.advance(10 * AUTOSAVE_MS);
    expect(api.saves).toHaveLength(1); // a draft over a submission would be refused (409)
    await expect(c.submit()).resolves.toBe(true);
    expect(api.saves.at(-1)).toMatchObject({ submit: true, version: 1, answers: { participant: { referral: 'urgent' } } });
  });

  it("shows the server's field problems from a refused save on their fields until they change", async () => {
    const { api, timers, c } = await loaded();
    api.fail.push(new ApiError(400, 'validation_failed', 'x', 'answers.eyes.OD.fundusQuality', 'option', [{ path: 'answers.eyes.OD.fundusQuality', rule: 'option', message: 'x' }]));
    c.set({ eye: 'OD', key: 'fundusQuality' }, 'good');
    await timers.advance(AUTOSAVE_MS);
    expect(c.status.value).toBe('refused');
    expect(c.problems.value['eyes.OD.fundusQuality']).toMatchObject({ rule: 'option', source: 'server' });
    c.clearProblem({ eye: 'OD', key: 'fundusQuality' });
    expect(c.problems.value['eyes.OD.fundusQuality']).toBeUndefined();
  });

  it('saves again when the reader changed something while a save was on its way', async () => {
    const { api, timers, c } = await loaded();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const save = api.saveRead;
    api.saveRead = async (...args) => {
      await gate;
      return save(...args);
    };
    c.set({ key: 'referral' }, 'none');
    await timers.advance(AUTOSAVE_MS);
    c.set({ key: 'comment' }, 'typed during the save');
    release();
    await settle();
    await settle();
    expect(c.status.value).toBe('dirty');
    await timers.advance(AUTOSAVE_MS);
    expect(api.saves.map((s) => s.answers.participant)).toEqual([{ referral: 'none' }, { referral: 'none', comment: 'typed during the save' }]);
    expect(c.status.value).toBe('clean');
  });

  it('picks up its local copy after a reload, or shows a conflict when the server moved on meanwhile', async () => {
    const storage = new MemoryStorage();
    storage.setItem(draftKey('sub-1', 'abcdefghijkl'), JSON.stringify({ baseVersion: 0, answers: { eyes: { OD: { fundusQuality: 'good' } }, participant: {} }, at: 1 }));
    const same = await loaded({}, storage);
    expect(same.c.status.value).toBe('dirty');
    expect(same.c.answers.value.eyes.OD!.fundusQuality).toBe('good');
    await same.timers.advance(AUTOSAVE_MS);
    expect(same.api.saves).toHaveLength(1);

    const moved = new MemoryStorage();
    moved.setItem(draftKey('sub-1', 'abcdefghijkl'), JSON.stringify({ baseVersion: 0, answers: { eyes: { OD: { fundusQuality: 'good' } }, participant: {} }, at: 1 }));
    const other = await loaded({ version: 2, status: 'draft', answers: { eyes: { OD: { fundusQuality: 'ungradable' } }, participant: {} } }, moved);
    expect(other.c.status.value).toBe('conflict');
    expect(other.c.answers.value.eyes.OD!.fundusQuality).toBe('good');
    expect(other.c.theirs.value!.version).toBe(2);
  });

  it("lists a user's unsaved drafts for sign-out: theirs only, until a save is acknowledged", async () => {
    const { c, api, storage, timers } = await loaded();
    storage.setItem(draftKey('sub-10', 'mnopqrstuvwx'), '{}'); // another user whose id starts with "sub-1"
    storage.setItem('readroom.lang', 'ko');
    expect(draftKeysOf(storage, 'sub-1')).toEqual([]);
    api.fail.push(new ApiError(0, 'network', 'offline'), new ApiError(0, 'network', 'offline'));
    c.set({ key: 'referral' }, 'urgent');
    await timers.advance(AUTOSAVE_MS);
    expect(c.status.value).toBe('offline');
    expect(draftKeysOf(storage, 'sub-1')).toEqual([draftKey('sub-1', 'abcdefghijkl')]);
    expect(draftKeysOf(storage, 'sub-10')).toEqual([draftKey('sub-10', 'mnopqrstuvwx')]);
    await timers.advance(OFFLINE_RETRY_MS);
    await timers.advance(OFFLINE_RETRY_MS * 2);
    expect(c.status.value).toBe('clean');
    expect(draftKeysOf(storage, 'sub-1')).toEqual([]);
  });

  it('does not edit a read the server says is closed', async () => {
    const { c, storage } = await loaded({ version: 3, status: 'submitted', editable: false, answers: gradable() as NormalisedAnswers });
    c.set({ key: 'referral' }, 'urgent');
    expect(c.answers.value.participant.referral).toBe('none');
    expect(storage.map.size).toBe(0);
    await expect(c.submit()).resolves.toBe(false);
  });

  it('says missing for a ref that is not the reader’s (404)', async () => {
    const api = new FakeReadApi();
    api.read = async () => Promise.reject(new ApiError(404, 'not_found', 'x'));
    const c = new ReadController(api, DEFAULT_FORM, 'abcdefghijkl', 'sub-1', new MemoryStorage(), new FakeTimers());
    await c.load();
    expect(c.status.value).toBe('missing');
  });
});
