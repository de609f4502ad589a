import { ManifestSchema } from '../../domain/manifest';

const file = { key: 'fundus/OD-1.dcm', exam: 'fundus', eye: 'OD', bytes: 10 };

test("a file's sha256 is optional and, when given, 64 lower-case hex digits", () => {
  expect(ManifestSchema.safeParse({ caseId: 'K-1', files: [file] }).success).toBe(true);
  expect(ManifestSchema.safeParse({ caseId: 'K-1', files: [{ ...file, sha256: 'a'.repeat(64) }] }).success).toBe(true);
  for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'g'.repeat(64)]) {
    const r = ManifestSchema.safeParse({ caseId: 'K-1', files: [{ ...file, sha256: bad }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['files', 0, 'sha256']);
  }
});
