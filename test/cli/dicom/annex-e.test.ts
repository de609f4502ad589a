/** bin/annex-e.ts: how an upstream copy of Table E.1-1 becomes cli/dicom/annex-e.json. */
import { readFileSync } from 'node:fs';
import { TABLE_FILE, annexETable, formatTable } from '../../../bin/annex-e';

const meta = { source: 'owner/repo, path at commit 0123', edition: '2025b (2 rows)', copied: '2026-12-05' };

test('upstream rows become arrays in the table column order, line breaks in names become spaces', () => {
  const table = annexETable(
    [
      { name: 'Icon Image Sequence\n\n(see Note 11)', tag: '(0088,0200)', stdCompIOD: 'Y', basicProfile: 'X', id: '00880200' },
      { name: 'Device UID', tag: '(0018,1002)', stdCompIOD: 'Y', basicProfile: 'U', rtnUIDsOpt: 'K', rtnDevIdOpt: 'K', id: '00181002' },
    ],
    meta,
  );
  expect(table).toMatchObject(meta);
  expect(table.columns.slice(0, 6)).toEqual(['tag', 'name', 'inStdCompIOD', 'basic', 'retainSafePrivate', 'retainUIDs']);
  expect(table.rows).toEqual([
    ['(0088,0200)', 'Icon Image Sequence (see Note 11)', 'Y', 'X', '', '', '', '', '', '', '', '', '', ''],
    ['(0018,1002)', 'Device UID', 'Y', 'U', '', 'K', 'K', '', '', '', '', '', '', ''],
  ]);
});

test('an unknown key, a missing field or a repeated tag stops the conversion', () => {
  const row = { name: 'Study Date', tag: '(0008,0020)', stdCompIOD: 'Y', basicProfile: 'Z' };
  expect(() => annexETable([{ ...row, rtnNewOpt: 'K' }], meta)).toThrow(/unknown key\(s\) rtnNewOpt/);
  expect(() => annexETable([{ name: 'x', tag: '(0008,0020)', stdCompIOD: 'Y' }], meta)).toThrow(/basicProfile is missing/);
  expect(() => annexETable([row, row], meta)).toThrow(/\(0008,0020\) appears twice/);
  expect(() => annexETable({}, meta)).toThrow(/JSON array/);
});

test('the committed table is exactly what the converter writes (no hand edits)', () => {
  const text = readFileSync(TABLE_FILE, 'utf8');
  expect(formatTable(JSON.parse(text))).toBe(text);
});
