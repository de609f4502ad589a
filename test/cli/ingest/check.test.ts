/** The gate over a whole folder: layout, file kinds, vendor formats, images and their metadata. */
import { checkFolder } from '../../../cli/ingest/check';
import { eyesInName, objectKeys } from '../../../cli/ingest/layout';
import { IDENTIFYING, dicomBytes, jpeg, png, tempDir, writeTree } from '../fixtures';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const findingsOf = async (files: Record<string, Buffer | string>, opts = {}) => {
  writeTree(tmp.dir, files);
  const plans = await checkFolder(tmp.dir, opts);
  return plans.flatMap((p) => p.findings.map((f) => `${f.file} ${f.rule}`));
};

test('clean cases pass; files get new keys by exam and eye, numbered in path order', async () => {
  writeTree(tmp.dir, {
    'K-001/fundus/OD.dcm': dicomBytes({ laterality: 'R' }),
    'K-001/fundus/left_Hong.dcm': dicomBytes({ laterality: 'L' }),
    'K-001/oct/OS/vol1.dcm': dicomBytes({ kind: 'OPT', laterality: 'L' }),
    'K-001/case.json': JSON.stringify({ site: 'SNUH', context: { bcvaOD: 0.8 } }),
    'K-001/.DS_Store': 'finder',
  });
  const [plan] = await checkFolder(tmp.dir);
  expect(plan.findings).toEqual([]);
  expect(plan).toMatchObject({ caseId: 'K-001', site: 'SNUH', context: { bcvaOD: 0.8 } });
  expect(plan.files.map((f) => [f.rel, f.key, f.eye])).toEqual([
    ['K-001/fundus/left_Hong.dcm', 'fundus/OS-1.dcm', 'OS'],
    ['K-001/fundus/OD.dcm', 'fundus/OD-1.dcm', 'OD'],
    ['K-001/oct/OS/vol1.dcm', 'oct/OS-1.dcm', 'OS'],
  ]);
});

test('a case with one bad file is refused whole; the others are not affected', async () => {
  writeTree(tmp.dir, {
    'K-001/fundus/OD.dcm': dicomBytes(),
    'K-002/fundus/OD.dcm': dicomBytes({ caseId: 'K-002' }),
    'K-002/fundus/OD-2.dcm': dicomBytes({ caseId: 'K-002', extra: [IDENTIFYING.patientName] }),
  });
  const plans = await checkFolder(tmp.dir);
  expect(plans.map((p) => [p.caseId, p.findings.map((f) => `${f.file} ${f.keyword} ${f.rule}`)])).toEqual([
    ['K-001', []],
    ['K-002', ['K-002/fundus/OD-2.dcm PatientName patient-id']],
  ]);
});

test.each(['scan.e2e', 'scan.E2E', 'vol.fda', 'vol.fds', 'cube.img'])('refuses the vendor raw format %s with the reason', async (name) => {
  writeTree(tmp.dir, { [`K-001/oct/${name}`]: 'CMDb vendor bytes' });
  const [plan] = await checkFolder(tmp.dir);
  expect(plan.findings).toHaveLength(1);
  expect(plan.findings[0]).toMatchObject({ rule: 'vendor-format', message: expect.stringMatching(/holds the name, birth date, sex and ID: export DICOM from the device software/) });
});

test('unknown files, files outside exam folders and bad case names are refused', async () => {
  expect(
    await findingsOf({
      'K-001/fundus/report.pdf': '%PDF-1.7',
      'K-001/notes.txt': 'x',
      'K-001/scans/OD.dcm': dicomBytes(),
      'Hong Gildong/fundus/OD.dcm': dicomBytes(),
    }),
  ).toEqual(['Hong Gildong case-id', 'Hong Gildong/fundus/OD.dcm patient-id', 'Hong Gildong/fundus/OD.dcm patient-id', 'K-001/notes.txt layout', 'K-001/scans exam', 'K-001/fundus/report.pdf not-dicom']);
});

test('PNG and JPEG only with --allow-images, only without metadata, and with the eye in the name', async () => {
  const files = { 'K-001/fundus/OD.png': png(), 'K-001/fundus/OS.jpg': jpeg() };
  expect(await findingsOf(files)).toEqual(['K-001/fundus/OD.png image-flag', 'K-001/fundus/OS.jpg image-flag']);
  expect(await findingsOf(files, { allowImages: true })).toEqual([]);
});

test.each([
  ['a PNG text chunk', 'OD.png', png([['tEXt', Buffer.from('Author\0Hong Gildong')]])],
  ['PNG EXIF', 'OD.png', png([['eXIf', Buffer.from('MM\0*')]])],
  ['a PNG time stamp', 'OD.png', png([['tIME', Buffer.alloc(7)]])],
  ['JPEG EXIF', 'OD.jpg', jpeg([[0xe1, Buffer.from('Exif\0\0MM\0*')]])],
  ['JPEG XMP', 'OD.jpg', jpeg([[0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x/>')]])],
  ['a JPEG comment', 'OD.jpg', jpeg([[0xfe, Buffer.from('Hong Gildong')]])],
])('refuses an image carrying %s', async (_n, name, body) => {
  expect(await findingsOf({ [`K-001/fundus/${name}`]: body }, { allowImages: true })).toEqual([`K-001/fundus/${name} image-metadata`]);
});

test('an image of a per-eye exam needs OD or OS in its name', async () => {
  expect(await findingsOf({ 'K-001/fundus/photo.png': png() }, { allowImages: true })).toEqual(['K-001/fundus/photo.png laterality']);
});

test('a corrupted DICOM file is refused as malformed', async () => {
  const whole = dicomBytes();
  expect(await findingsOf({ 'K-001/fundus/OD.dcm': whole.subarray(0, whole.length - 10) })).toEqual(['K-001/fundus/OD.dcm malformed']);
});

test('eyes from names, and stable keys', () => {
  expect(eyesInName('OD.dcm')).toEqual(['OD']);
  expect(eyesInName('OS/macula_1.dcm')).toEqual(['OS']);
  expect(eyesInName('ODx.dcm')).toEqual([]);
  expect(eyesInName('OD_vs_OS.dcm')).toEqual(['OD', 'OS']);
  expect(objectKeys([
    { exam: 'oct', eye: 'OD', ext: '.dcm', rel: 'b' },
    { exam: 'oct', eye: 'OD', ext: '.dcm', rel: 'a' },
    { exam: 'va', eye: null, ext: '.dcm', rel: 'c' },
  ])).toEqual(['oct/OD-2.dcm', 'oct/OD-1.dcm', 'va/NA-1.dcm']);
});
