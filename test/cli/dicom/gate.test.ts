import { gateHeader, type GateContext } from '../../../cli/dicom/gate';
import { PROFILE_SOURCE, allRows, keywordOf, profileRow } from '../../../cli/dicom/profile';
import { bufferSource, readDicom } from '../../../cli/dicom/reader';
import { T, tag } from '../../../cli/dicom/tags';
import type { WriteElement } from '../../../cli/dicom/writer';
import { IDENTIFYING, dicomBytes, type FileOptions } from '../fixtures';

const ctx: GateContext = { caseId: 'K-001', exam: 'fundus' };
const gate = async (o: FileOptions = {}, c: Partial<GateContext> = {}) => gateHeader(await readDicom(bufferSource(dicomBytes(o))), { ...ctx, ...c });
const rules = async (o: FileOptions = {}, c: Partial<GateContext> = {}) => (await gate(o, c)).findings.map((f) => `${f.tag ?? ''} ${f.keyword ?? ''} ${f.rule}`.trim());

test('the table is the dated 2025b copy of Annex E with its source, and drives the rules', () => {
  expect(PROFILE_SOURCE.rows).toBe(647);
  expect(PROFILE_SOURCE.edition).toMatch(/^2025b\b/);
  expect(PROFILE_SOURCE.source).toMatch(/DIAGNijmegen\/rse-grand-challenge-dicom-de-id-procedure.*commit 3b76081c48ea2c7550f0e90166f9efdcaba26b91/);
  expect(PROFILE_SOURCE.copied).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(allRows()).toHaveLength(647);
  expect(profileRow(T.PatientName)).toMatchObject({ keyword: 'PatientName', basic: 'Z' });
  expect(profileRow(tag(0x6002, 0x3000))?.name).toBe('Overlay Data'); // a repeating group
  expect(profileRow(tag(0x6001, 0x3000))).toBeUndefined(); // odd: private, not overlay
  expect(keywordOf('Name of Physician(s) Reading Study')).toBe('NameOfPhysiciansReadingStudy');
  expect(keywordOf("Operators' Name")).toBe('OperatorsName');
});

test('a clean OP and a clean OPT file pass, in explicit and implicit VR', async () => {
  expect(await rules()).toEqual([]);
  expect(await rules({ kind: 'OPT', laterality: 'L' }, { exam: 'oct' })).toEqual([]);
  expect(await rules({ implicit: true })).toEqual([]);
  expect((await gate({ laterality: 'L' })).eye).toBe('OS');
});

test('patient characteristics and modified dates may stay', async () => {
  const kept: WriteElement[] = [
    { tag: T.PatientAge, vr: 'AS', value: '063Y' },
    { tag: T.PatientSex, vr: 'CS', value: 'F' },
    { tag: T.PixelSpacing, vr: 'DS', value: ['0.01', '0.01'] },
  ];
  expect(await rules({ extra: kept })).toEqual([]);
  const modified = [IDENTIFYING.studyDate, { tag: T.LongitudinalTemporalInformationModified, vr: 'CS', value: 'MODIFIED' }];
  expect(await rules({ extra: modified })).toEqual([]);
});

test.each(Object.entries(IDENTIFYING))('refuses %s at the top level, naming tag, keyword and rule', async (name, e) => {
  const found = await rules({ extra: [e] });
  const expected: Record<string, string> = { patientName: 'patient-id', patientId: 'patient-id', studyDate: 'dates-modified', birthDate: 'annex-e' };
  expect(found).toHaveLength(1);
  expect(found[0]).toMatch(new RegExp(`${expected[name] ?? 'annex-e'}$`));
  expect(found[0].startsWith(`(${(e.tag >>> 16).toString(16).toUpperCase().padStart(4, '0')},`)).toBe(true);
});

test.each([
  ['defined', false],
  ['undefined', true],
])('refuses identifying values inside nested sequences of %s length, with their path', async (_n, undefinedLength) => {
  const nested: WriteElement = {
    tag: T.AnatomicRegionSequence,
    vr: 'SQ',
    undefinedLength,
    items: [[{ tag: T.CodeValue, vr: 'SH', value: '81745001' }], [{ tag: tag(0x0040, 0xa730), vr: 'SQ', undefinedLength, items: [[IDENTIFYING.operators]] }, IDENTIFYING.institution]],
  };
  const g = await gate({ extra: [nested] });
  expect(g.findings.map((f) => [f.path, f.keyword, f.rule])).toEqual([
    ['(0008,2218)[1] > (0008,0080)', 'InstitutionName', 'annex-e'],
    ['(0008,2218)[1] > (0040,A730)', 'ContentSequence', 'annex-e'],
  ]);
});

test('UIDs must be replaced ones, at any depth; a referenced image sequence is read item by item', async () => {
  const refs: WriteElement = { tag: T.ReferencedImageSequence, vr: 'SQ', items: [[{ tag: T.ReferencedSOPInstanceUID, vr: 'UI', value: '1.2.840.113619.2.55.3' }]] };
  expect(await rules({ extra: [refs] })).toEqual(['(0008,1155) ReferencedSOPInstanceUID uid-root']);
  expect(await rules({ extra: [{ tag: T.StudyInstanceUID, vr: 'UI', value: '1.3.6.1.4.1.9590.100.1.2' }] })).toEqual(['(0020,000D) StudyInstanceUID uid-root']);
  expect(await rules({ extra: [{ tag: T.StudyInstanceUID, vr: 'UI', value: '1.3.6.1.4.1.9590.100.1.2' }] }, { uidRoots: ['2.25.', '1.3.6.1.4.1.9590.'] })).toEqual([]);
});

test('private attributes are refused unless allow-listed', async () => {
  const priv: WriteElement[] = [
    { tag: tag(0x0009, 0x0010), vr: 'LO', value: 'ACME 1.0' },
    { tag: tag(0x0009, 0x1001), vr: 'LO', value: 'HONG^GILDONG' },
  ];
  expect(await rules({ extra: priv })).toEqual(['(0009,0010) private private-tag', '(0009,1001) private private-tag']);
  expect(await rules({ extra: priv }, { allowPrivate: new Set([tag(0x0009, 0x0010), tag(0x0009, 0x1001)]) })).toEqual([]);
});

test('Burned In Annotation must be present and NO', async () => {
  expect(await rules({ extra: [{ tag: T.BurnedInAnnotation, vr: 'CS', value: 'YES' }] })).toEqual(['(0028,0301) BurnedInAnnotation burned-in-annotation']);
  expect(await rules({ extra: [{ tag: T.BurnedInAnnotation, vr: 'CS', value: '' }] })).toEqual(['(0028,0301) BurnedInAnnotation burned-in-annotation']);
});

test('laterality is required for per-eye exams and must agree with the file name', async () => {
  const noEye = { extra: [{ tag: T.ImageLaterality, vr: 'CS', value: '' }] };
  expect(await rules(noEye)).toEqual(['(0020,0062) ImageLaterality laterality']);
  expect(await rules(noEye, { exam: 'other' })).toEqual([]);
  expect(await rules({ laterality: 'R' }, { eyeFromName: 'OS' })).toEqual(['(0020,0062) ImageLaterality laterality-mismatch']);
  expect(await rules({ extra: [{ tag: T.ImageLaterality, vr: 'CS', value: '' }, { tag: T.Laterality, vr: 'CS', value: 'L' }] })).toEqual([]);
});

test('only ophthalmic SOP classes pass', async () => {
  expect(await rules({ extra: [{ tag: T.SOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' }] })).toEqual(['(0008,0016) SOPClassUID sop-class']);
});

test('rows added since the 460-row copy are in the table and drive the rules (a silent downgrade fails here)', async () => {
  // Rows of the 2025b table that the older copy (innolitics 0d01bf11) did not have, with their actions.
  expect(profileRow(tag(0x0008, 0x0017))).toMatchObject({ name: 'Acquisition UID', basic: 'U', options: { retainUIDs: 'K' } });
  expect(profileRow(tag(0x0010, 0x0012))).toMatchObject({ name: 'Name to Use', basic: 'X' });
  expect(profileRow(tag(0x0010, 0x0045))).toMatchObject({ name: 'Gender Identity Comment', basic: 'X', options: { cleanDescriptors: 'C' } });
  expect(profileRow(tag(0x0010, 0x0043))).toMatchObject({ name: 'Sex Parameters for Clinical Use Category Sequence', basic: 'X', options: { retainPatientCharacteristics: 'K' } });
  expect(profileRow(tag(0x0032, 0x1041))).toMatchObject({ name: 'Study Arrival Time', basic: 'X', options: { retainLongitudinalModifiedDates: 'C' } });
  expect(profileRow(tag(0x0016, 0x0072))).toMatchObject({ name: 'GPS Latitude', basic: 'X' });
  // Rows whose action changed since that copy.
  expect(profileRow(T.PatientID)?.basic).toBe('Z/D');
  expect(profileRow(tag(0x3006, 0x0009))?.basic).toBe('Z'); // Structure Set Time
  // What the older table let through: neither a PN in an implicit VR file (no VR to catch) nor
  // free text or a time (no catch-all for LT or TM) was refused.
  const nameToUse = { tag: tag(0x0010, 0x0012), vr: 'PN', value: 'GILDONG' };
  expect(await rules({ implicit: true, extra: [nameToUse] })).toEqual(['(0010,0012) NameToUse annex-e']);
  const genderComment = { tag: tag(0x0010, 0x0045), vr: 'LT', value: 'prefers Ms Hong' };
  const arrival = { tag: tag(0x0032, 0x1041), vr: 'TM', value: '093000' };
  expect(await rules({ extra: [genderComment, arrival] })).toEqual(['(0010,0045) GenderIdentityComment annex-e', '(0032,1041) StudyArrivalTime dates-modified']);
});

test('beyond the table: other dates and person names are refused too', async () => {
  // A date attribute no edition of the table names yet (a stand-in for one a later edition adds),
  // and Document Author (Trial), the one retired PN attribute the 2025b table does not list.
  const laterDate = { tag: tag(0x0018, 0x9e01), vr: 'DA', value: '20240611' };
  const documentAuthor = { tag: tag(0x0040, 0xa067), vr: 'PN', value: 'LEE^NURSE' };
  expect(await rules({ extra: [laterDate, documentAuthor] })).toEqual(['(0018,9E01) unknown dates-modified', '(0040,A067) unknown person-name']);
});

test('attributes after the pixel data are checked too', async () => {
  const file = Buffer.concat([dicomBytes(), Buffer.from([0xfc, 0xff, 0xfc, 0xff, 0x4f, 0x42, 0, 0, 4, 0, 0, 0]), Buffer.from('HONG')]);
  const g = gateHeader(await readDicom(bufferSource(file)), ctx);
  expect(g.findings.map((f) => [f.tag, f.keyword, f.rule])).toEqual([['(FFFC,FFFC)', 'DataSetTrailingPadding', 'annex-e']]);
});
