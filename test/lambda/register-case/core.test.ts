/** Manifest registration decisions with plain fakes: what is read, what is stored, what is refused. */
import { normaliseSequencer, registerManifest, type RegisterDeps } from '../../../lambda/register-case/core';

function fakes(objects: Record<string, string>, manifest: unknown) {
  const reads: string[] = [];
  const lists: string[] = [];
  const stored: Array<[string, unknown]> = [];
  const deps: RegisterDeps = {
    objects: {
      readManifest: async (key) => (reads.push(key), typeof manifest === 'string' ? manifest : JSON.stringify(manifest)),
      listCase: async (prefix) => (lists.push(prefix), new Map(Object.entries(objects).map(([k, v]) => [k, v.length]))),
    },
    registry: {
      // As the store does: the audit event in the case's own write.
      registerCase: async (m, _at, _seq, audit) => (stored.push(['register', m]), audit && stored.push(['audit', audit('created')]), { result: 'created' as const }),
      rejectManifest: async (r, a) => (stored.push(['reject', r], ['audit', a]), 'recorded' as const),
      resolveRejections: async (caseId) => (stored.push(['resolveRejections', caseId]), 0),
      putAudit: async (a) => void stored.push(['audit', a]),
    },
    now: () => new Date('2025-01-01T00:00:00Z'),
  };
  return { deps, reads, lists, stored };
}

const manifest = { caseId: 'K1', files: [{ key: 'a/b.jpg', exam: 'fundus', eye: 'OD' }, { key: 'va.json', exam: 'va' }] };

test('reads only the manifest and lists the case folder: images are never opened', async () => {
  const f = fakes({ 'a/b.jpg': 'xx', 'va.json': '{}', 'other.bin': 'z' }, manifest);
  expect(await registerManifest(f.deps, { key: 'cases/K1/manifest.json', sequencer: 'A1' })).toEqual({ result: 'created', caseId: 'K1' });
  expect(f.reads).toEqual(['cases/K1/manifest.json']);
  expect(f.lists).toEqual(['cases/K1/']);
  expect(f.stored[0]).toEqual(['register', { caseId: 'K1', files: [manifest.files[0], { ...manifest.files[1], eye: null }], context: undefined }]);
  expect(f.stored[1]).toEqual(['audit', expect.objectContaining({ action: 'case_registered', caseId: 'K1', detail: { files: 2, result: 'created' } })]);
  expect(f.stored[2]).toEqual(['resolveRejections', 'K1']);
});

test('every problem found is a reason; nothing is registered', async () => {
  const f = fakes({}, { ...manifest, files: [...manifest.files, { key: 'va.json', exam: 'va' }] });
  const out = await registerManifest(f.deps, { key: 'cases/K1/manifest.json', sequencer: 'A1' });
  expect(out).toMatchObject({ result: 'rejected', reasons: [{ field: 'files.2.key', message: expect.stringContaining('listed twice') }] });
  expect(f.stored.map(([k]) => k)).toEqual(['reject', 'audit']);
});

test('sequencers compare as hexadecimal numbers whatever their length', () => {
  expect(normaliseSequencer('FF') < normaliseSequencer('100')).toBe(true);
  expect(normaliseSequencer('0a') === normaliseSequencer('A')).toBe(true);
});

describe('a rejected upload delivered again (S3 and SQS deliver at least once) is recorded once', () => {
  /**
   * The store's rule as a fake: one rejection per upload, keyed by what the core passes as its
   * identity (case, manifest key, sequencer); a second put of the same one is refused.
   */
  function rejectingRegistry() {
    const f = fakes({}, 'not json');
    const records: unknown[] = [];
    const audits: unknown[] = [];
    const seen = new Set<string>();
    f.deps.registry.rejectManifest = async (r, a) => {
      const id = JSON.stringify([r.caseId, r.manifestKey, r.sequencer]);
      if (seen.has(id)) return 'redelivered';
      seen.add(id);
      records.push(r);
      audits.push(a);
      return 'recorded';
    };
    return { ...f, records, audits };
  }

  test('the same upload twice: one rejection, and the second delivery answers quietly (no error, nothing to retry)', async () => {
    const f = rejectingRegistry();
    const first = await registerManifest(f.deps, { key: 'cases/K1/manifest.json', sequencer: 'A1' });
    expect(first).toMatchObject({ result: 'rejected', caseId: 'K1', reasons: [{ rule: 'json' }] });
    expect(await registerManifest(f.deps, { key: 'cases/K1/manifest.json', sequencer: 'a1' })).toEqual({ result: 'redelivered', caseId: 'K1' });
    expect(f.records).toEqual([expect.objectContaining({ caseId: 'K1', manifestKey: 'cases/K1/manifest.json', sequencer: normaliseSequencer('A1') })]);
    expect(f.audits).toHaveLength(1);
  });

  test('a new upload of the same key (a later sequencer) that is rejected too is a second rejection', async () => {
    const f = rejectingRegistry();
    for (const sequencer of ['A1', 'B7']) {
      expect(await registerManifest(f.deps, { key: 'cases/K1/manifest.json', sequencer })).toMatchObject({ result: 'rejected', caseId: 'K1' });
    }
    expect(f.records.map((r) => (r as { sequencer: string }).sequencer)).toEqual([normaliseSequencer('A1'), normaliseSequencer('B7')]);
  });
});
