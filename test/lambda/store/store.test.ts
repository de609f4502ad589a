/** The store's invariants, straight against moto through the real document client. */
import fc from 'fast-check';
import { appStreamUserId, APPSTREAM_USER_ID_PATTERN } from '../../../lambda/runtime/appstream-user';
import { decodeCursor, encodeCursor, type ReadRecord } from '../../../lambda/store';
import { startHarness, type Harness } from '../../helpers/api-harness';
import { seedCase, tick, validAnswers } from '../../helpers/reading-fixtures';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(() => h.clearTable());

const claim = async (caseId: string, readerId: string, maxOpen = 10) => {
  const c = (await h.store.getCase(caseId))!;
  return h.store.claimSlot({ case: c, readerId, readsPerCase: 2, maxOpenPerReader: maxOpen, at: tick(), assignedBy: 'self' });
};

describe('claims', () => {
  test('a claim whose random ref collides is retried with a new ref, and the case is claimed once', async () => {
    await seedCase(h, 'C1');
    await seedCase(h, 'C2');
    const first = await claim('C1', 'a');
    if (first.result !== 'claimed') throw new Error(first.result);
    const refs = [first.assignment.ref, 'other2345abc'];
    const c = (await h.store.getCase('C2'))!;
    const out = await h.store.claimSlot({ case: c, readerId: 'b', readsPerCase: 2, maxOpenPerReader: 10, at: tick(), assignedBy: 'self', newRef: () => refs.shift()! });
    expect(out).toMatchObject({ result: 'claimed', assignment: { caseId: 'C2', ref: 'other2345abc' } });
    expect(await h.store.getCase('C2')).toMatchObject({ assignedCount: 1, readers: ['b'] });
  });

  test('never past k, never one reader twice, and the last slot leaves the claimable index', async () => {
    await seedCase(h, 'C1');
    expect((await claim('C1', 'a')).result).toBe('claimed');
    expect(await claim('C1', 'a')).toMatchObject({ result: 'taken', now: { assignedCount: 1, readers: ['a'] } });
    expect((await claim('C1', 'b')).result).toBe('claimed');
    expect(await claim('C1', 'c')).toMatchObject({ result: 'taken', now: { assignedCount: 2 } });
    const item = (await h.snapshotTable()).find((i) => i.pk === 'CASE#C1' && i.sk === 'META')!;
    expect(item).toMatchObject({ assignedCount: 2 });
    expect(item.gsi2pk).toBeUndefined();
  });

  test('a stale count fails and returns the case as it is now', async () => {
    await seedCase(h, 'C1');
    const stale = (await h.store.getCase('C1'))!;
    await claim('C1', 'a');
    const out = await h.store.claimSlot({ case: stale, readerId: 'b', readsPerCase: 2, maxOpenPerReader: 10, at: tick(), assignedBy: 'self' });
    expect(out).toEqual({ result: 'taken', now: { caseId: 'C1', assignedCount: 1, readers: ['a'], state: 'open' } });
  });

  test('the open-work cap is per reader and leaves the case untouched', async () => {
    await seedCase(h, 'C1');
    await seedCase(h, 'C2');
    expect((await claim('C1', 'a', 1)).result).toBe('claimed');
    expect(await claim('C2', 'a', 1)).toEqual({ result: 'reader_full' });
    expect(await h.store.getCase('C2')).toMatchObject({ assignedCount: 0, readers: [] });
  });
});

describe('queue', () => {
  test('in progress before pending before submitted; the first open one is found in one query', async () => {
    for (const id of ['C1', 'C2']) {
      await seedCase(h, id);
      await claim(id, 'a');
    }
    expect((await h.store.firstOpenAssignment('a'))?.caseId).toBe('C1');
    // C2 goes in progress: it now comes first.
    const [, a2] = (await h.store.queuePage('a', { limit: 10 })).items;
    await h.store.writeReadSave({
      read: readOf('C2', 1, 'draft'),
      action: 'save',
      assignment: { record: a2, from: 'pending', to: 'in_progress' },
    });
    expect((await h.store.firstOpenAssignment('a'))?.caseId).toBe('C2');
    expect((await h.store.queuePage('a', { limit: 10 })).items.map((i) => [i.caseId, i.status])).toEqual([
      ['C2', 'in_progress'],
      ['C1', 'pending'],
    ]);
  });
});

function readOf(caseId: string, version: number, status: ReadRecord['status']): ReadRecord {
  const at = tick();
  return { caseId, readerId: 'a', readNo: 1, version, status, answers: validAnswers(), formId: 'f', formVersion: '1.0.0', createdAt: at, updatedAt: at };
}

describe('reads', () => {
  test('the current version moves only from the version before it; history items are never overwritten', async () => {
    await seedCase(h, 'C1');
    expect(await h.store.writeReadSave({ read: readOf('C1', 1, 'draft'), action: 'save' })).toBeUndefined();
    expect(await h.store.writeReadSave({ read: readOf('C1', 1, 'draft'), action: 'save' })).toMatchObject({ failed: new Set(['read', 'history']) });
    expect(await h.store.writeReadSave({ read: readOf('C1', 3, 'draft'), action: 'save' })).toMatchObject({ failed: new Set(['read']) });
    expect(await h.store.writeReadSave({ read: readOf('C1', 2, 'submitted'), action: 'submit' })).toBeUndefined();
    expect((await h.store.readHistory('C1', 'a', 1)).map((v) => [v.version, v.action])).toEqual([
      [1, 'save'],
      [2, 'submit'],
    ]);
    expect(await h.store.getRead('C1', 'a', 1)).toMatchObject({ version: 2, status: 'submitted' });
  });

  test('a failed save writes nothing at all (all parts or none)', async () => {
    await seedCase(h, 'C1');
    await h.store.writeReadSave({ read: readOf('C1', 1, 'draft'), action: 'save' });
    const before = await h.snapshotTable();
    const c = (await h.store.getCase('C1'))!;
    const rejected = await h.store.writeReadSave({
      read: readOf('C1', 5, 'submitted'),
      action: 'submit',
      countReaderSubmission: true,
      countCaseSubmission: c,
      idempotency: { actor: 'a', key: 'k', fingerprint: 'x', result: {}, createdAt: tick(), ttl: 9e9 },
    });
    expect(rejected?.failed).toEqual(new Set(['read']));
    expect(await h.snapshotTable()).toEqual(before);
  });
});

describe('cursors', () => {
  const scope = { index: 'gsi1' as const, partition: 'QUEUE#a' };
  const key = { pk: 'CASE#C1', sk: 'ASSIGN#a#01', gsi1pk: 'QUEUE#a', gsi1sk: 'pending#t#C1' };

  test('round-trip, and refuse anything that is not a key of the same partition', () => {
    expect(decodeCursor(encodeCursor(key, scope), scope)).toEqual(key);
    const foreign = encodeCursor({ ...key, gsi1pk: 'QUEUE#b' }, { index: 'gsi1', partition: 'QUEUE#b' });
    for (const bad of [foreign, 'x', '!!!', Buffer.from('[1]').toString('base64url'), encodeCursor({ ...key, extra: 'y' } as never, { partition: 'QUEUE#a' })]) {
      expect(() => decodeCursor(bad, scope)).toThrow(expect.objectContaining({ status: 400, details: expect.objectContaining({ field: 'cursor' }) }));
    }
  });

  test('any string is either a valid cursor or a 400, never something else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          const k = decodeCursor(s, scope);
          expect(k === undefined || k.gsi1pk === 'QUEUE#a').toBe(true);
        } catch (e) {
          expect((e as { status?: number }).status).toBe(400);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('AppStream UserId', () => {
  test('stable, 32 characters of the allowed set, one id per sub (10,000 subs)', () => {
    expect(appStreamUserId('abc')).toBe(appStreamUserId('abc'));
    const subs = new Set<string>();
    const ids = new Set<string>();
    fc.assert(
      fc.property(fc.uuid(), (sub) => {
        const id = appStreamUserId(sub);
        expect(id).toMatch(APPSTREAM_USER_ID_PATTERN);
        expect(id).toHaveLength(32);
        subs.add(sub);
        ids.add(id);
      }),
      { numRuns: 10_000 },
    );
    expect(ids.size).toBe(subs.size);
  });
});
