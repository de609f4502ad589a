/** --deidentify: copies made by the Annex E table, verified by the gate and by dcmtk's dcmdump. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { dcmdumpProblems, deidentifyFolder, shiftDates, type DeidKey } from '../../../cli/dicom/deidentify';
import { gateHeader } from '../../../cli/dicom/gate';
import { find, readDicomFile, textValue } from '../../../cli/dicom/reader';
import { T, tag } from '../../../cli/dicom/tags';
import { encodeFile } from '../../../cli/dicom/writer';
import { IDENTIFYING, dicomBytes, tempDir, writeTree } from '../fixtures';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const STUDY_UID = '1.2.840.113619.2.55.3.604688119.969.1268071029.320';
const dirty = (laterality: 'R' | 'L', sop: string, fill: number) =>
  dicomBytes({
    laterality,
    caseId: 'K-001',
    fill,
    extra: [
      ...Object.values(IDENTIFYING),
      { tag: T.PatientAge, vr: 'AS', value: '063Y' },
      { tag: T.PatientSex, vr: 'CS', value: 'F' },
      { tag: T.PixelSpacing, vr: 'DS', value: ['0.0125', '0.0125'] },
      { tag: T.StudyInstanceUID, vr: 'UI', value: STUDY_UID },
      { tag: T.SOPInstanceUID, vr: 'UI', value: sop },
      { tag: T.AnatomicRegionSequence, vr: 'SQ', undefinedLength: true, items: [[{ tag: T.CodeMeaning, vr: 'LO', value: 'Eye' }, IDENTIFYING.operators]] },
      { tag: tag(0x0009, 0x0010), vr: 'LO', value: 'ACME' },
      { tag: tag(0x0009, 0x1001), vr: 'LO', value: 'HONG^GILDONG' },
      { tag: tag(0x0008, 0x0012), vr: 'DA', value: '20240611' },
    ],
  });

async function run() {
  const input = path.join(tmp.dir, 'in');
  const output = path.join(tmp.dir, 'out');
  const keyFile = path.join(tmp.dir, 'key.json');
  return { input, output, keyFile, result: await deidentifyFolder({ input, output, keyFile, study: 'example' }) };
}

test('a copy of a file with identifying values everywhere passes the gate and dcmdump, keeping what graders need', async () => {
  writeTree(tmp.dir, { 'in/K-001/fundus/OD.dcm': dirty('R', '1.2.3.4.5.1', 11), 'in/K-001/fundus/OS.dcm': dirty('L', '1.2.3.4.5.2', 22) });
  const { output, keyFile, result } = await run();
  expect(result).toEqual({ written: 2, failures: [] });

  const [od, os] = await Promise.all(['OD', 'OS'].map((e) => readDicomFile(path.join(output, `K-001/fundus/${e}.dcm`))));
  for (const h of [od, os]) {
    expect(gateHeader(h, { caseId: 'K-001', exam: 'fundus' }).findings).toEqual([]);
    const v = (t: number) => textValue(find(h.elements, t) ?? {});
    expect([v(T.PatientName), v(T.PatientID), v(T.PatientAge), v(T.PatientSex), v(T.PixelSpacing)]).toEqual(['K-001', 'K-001', '063Y', 'F', '0.0125\\0.0125']);
    expect([v(T.PatientIdentityRemoved), v(T.LongitudinalTemporalInformationModified)]).toEqual(['YES', 'MODIFIED']);
    expect(find(h.elements, T.PatientBirthDate)?.length).toBe(0); // Z: kept, empty
    for (const t of [T.InstitutionName, T.DeviceSerialNumber, T.ImageComments, T.StudyDescription, T.OperatorsName]) expect(find(h.elements, t)).toBeUndefined();
    expect(h.elements.some((e) => e.tag >>> 16 === 0x0009)).toBe(false);
    expect(find(find(h.elements, T.AnatomicRegionSequence)!.items![0], T.OperatorsName)).toBeUndefined();
  }
  expect(textValue(find(od.elements, T.ImageLaterality)!)).toBe('R');
  // One study UID maps to one replacement; each instance gets its own.
  const study = (h: typeof od) => textValue(find(h.elements, T.StudyInstanceUID)!);
  expect(study(od)).toBe(study(os));
  expect(study(od)).toMatch(/^2\.25\.\d+$/);
  expect(textValue(find(od.elements, T.SOPInstanceUID)!)).not.toBe(textValue(find(os.elements, T.SOPInstanceUID)!));
  // Dates move by the case's shift, in whole weeks; the key file records it and the UID map.
  const key = JSON.parse(readFileSync(keyFile, 'utf8')) as DeidKey;
  expect(Math.abs(key.dateShiftDays['K-001'] % 7)).toBe(0);
  expect(key.dateShiftDays['K-001']).toBeLessThan(0);
  expect(textValue(find(od.elements, T.StudyDate)!)).toBe(shiftDates('20240611', key.dateShiftDays['K-001']));
  expect(key.uids[STUDY_UID]).toBe(study(od));
  // The pixels are the source's, byte for byte.
  const src = readFileSync(path.join(tmp.dir, 'in/K-001/fundus/OD.dcm'));
  const copy = readFileSync(path.join(output, 'K-001/fundus/OD.dcm'));
  expect(copy.subarray(od.pixelData!.offset + 12).equals(src.subarray(src.length - (od.pixelData!.end - od.pixelData!.offset - 12)))).toBe(true);
});

test('a second run reuses the key: the same UIDs and date shift', async () => {
  writeTree(tmp.dir, { 'in/K-001/fundus/OD.dcm': dirty('R', '1.2.3.4.5.1', 11) });
  const { output } = await run();
  const first = textValue(find((await readDicomFile(path.join(output, 'K-001/fundus/OD.dcm'))).elements, T.StudyDate)!);
  await run();
  expect(textValue(find((await readDicomFile(path.join(output, 'K-001/fundus/OD.dcm'))).elements, T.StudyDate)!)).toBe(first);
});

test('a file with burned-in annotation is not de-identified (its pixels cannot be cleaned here)', async () => {
  writeTree(tmp.dir, { 'in/K-001/fundus/OD.dcm': dicomBytes({ extra: [{ tag: T.BurnedInAnnotation, vr: 'CS', value: 'YES' }] }) });
  const { result } = await run();
  expect(result.written).toBe(0);
  expect(result.failures).toEqual([{ file: 'K-001/fundus/OD.dcm', message: expect.stringMatching(/Burned In Annotation is not NO/) }]);
});

test('dcmdump, the independent reader, sees a private tag or a real name the writer left', () => {
  const file = path.join(tmp.dir, 'x.dcm');
  writeTree(tmp.dir, { 'x.dcm': encodeFile({ sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.1', sopInstanceUid: '2.25.1' }, [IDENTIFYING.patientName, { tag: tag(0x0009, 0x1001), vr: 'LO', value: 'x' }]) });
  expect(dcmdumpProblems(file, 'K-001')).toEqual([expect.stringMatching(/private attribute \(0009,1001\)/), expect.stringMatching(/\(0010,0010\) \[HONG\^GILDONG\]/)]);
  writeTree(tmp.dir, { 'y.dcm': Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([2, 0, 0x10, 0, 0x55, 0x49, 0xff, 0x7f])]) });
  expect(dcmdumpProblems(path.join(tmp.dir, 'y.dcm'), 'K-001')[0]).toMatch(/dcmdump could not read the copy/);
  expect(dcmdumpProblems(file, 'K-001', '/nonexistent/dcmdump')[0]).toMatch(/apt-get install -y --no-install-recommends dcmtk/);
});

test('dates shift across lists, ranges and date-times', () => {
  expect(shiftDates('20240311', -7)).toBe('20240304');
  expect(shiftDates('20240101-20240108\\20240301120000', -14)).toBe('20231218-20231225\\20240216120000');
});
