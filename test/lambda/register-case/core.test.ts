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
      rejectManifest: async (r, a) => void stored.push(['reject', r], ['audit', a]),
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
