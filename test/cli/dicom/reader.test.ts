import { bufferSource, DicomParseError, find, readDicom, textValue, type ByteSource } from '../../../cli/dicom/reader';
import { T, TRANSFER_SYNTAX, tag } from '../../../cli/dicom/tags';
import { encodeDataset, encodeFile, encodePreambleAndMeta, encodeOphthalmicHeader } from '../../../cli/dicom/writer';
import { dicomBytes } from '../fixtures';

const seq = (undefinedLength: boolean) => ({
  tag: T.AnatomicRegionSequence,
  vr: 'SQ',
  undefinedLength,
  items: [
    [
      { tag: T.CodeValue, vr: 'SH', value: '81745001' },
      { tag: T.CodeMeaning, vr: 'LO', value: 'Eye' },
      // A nested sequence inside the item.
      { tag: T.ReferencedImageSequence, vr: 'SQ', undefinedLength, items: [[{ tag: T.ReferencedSOPInstanceUID, vr: 'UI', value: '2.25.99' }]] },
    ],
  ],
});

describe.each([
  ['explicit VR', false],
  ['implicit VR', true],
])('%s little endian', (_name, implicit) => {
  test.each([
    ['defined', false],
    ['undefined', true],
  ])('reads sequences of %s length, nested, and the top-level attributes', async (_l, undefinedLength) => {
    const h = await readDicom(bufferSource(dicomBytes({ implicit, extra: [seq(undefinedLength)] })));
    expect(h.explicit).toBe(!implicit);
    expect(textValue(find(h.elements, T.PatientID)!)).toBe('K-001');
    const s = find(h.elements, T.AnatomicRegionSequence)!;
    expect(s.vr).toBe('SQ');
    expect(s.items).toHaveLength(1);
    expect(textValue(find(s.items![0], T.CodeMeaning)!)).toBe('Eye');
    const nested = find(s.items![0], T.ReferencedImageSequence)!;
    expect(textValue(find(nested.items![0], T.ReferencedSOPInstanceUID)!)).toBe('2.25.99');
    // Elements after the sequence are still read.
    expect(textValue(find(h.elements, T.BurnedInAnnotation)!)).toBe('NO');
  });
});

test('stops at Pixel Data and skips its bytes unread: the bytes read do not grow with the file', async () => {
  const spec = { kind: 'OPT' as const, rows: 512, columns: 512, frames: 64, laterality: 'L' as const, sopInstanceUid: '2.25.1', studyInstanceUid: '2.25.2', seriesInstanceUid: '2.25.3', patientId: 'K-001' };
  const head = encodeOphthalmicHeader(spec);
  const size = head.length + 512 * 512 * 64; // 16 MiB of pixels, never allocated
  let bytesRead = 0;
  const src: ByteSource = {
    size,
    async read(p, n) {
      const m = Math.max(0, Math.min(n, size - p));
      bytesRead += m;
      const out = Buffer.alloc(m);
      if (p < head.length) head.copy(out, 0, p, Math.min(head.length, p + m));
      return out;
    },
  };
  const h = await readDicom(src);
  expect(h.pixelData).toMatchObject({ offset: head.length - 12, end: size, length: 512 * 512 * 64 });
  expect(h.trailing).toEqual([]);
  expect(bytesRead).toBeLessThan(128 * 1024);
});

test('walks encapsulated pixel data fragment by fragment and reads what follows it', async () => {
  const meta = encodePreambleAndMeta({ sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.1', sopInstanceUid: '2.25.1', transferSyntax: '1.2.840.10008.1.2.4.50' });
  const before = encodeDataset([{ tag: T.PatientID, vr: 'LO', value: 'K-001' }], true);
  const item = (len: number) => {
    const b = Buffer.alloc(8 + len, 0xab);
    b.writeUInt16LE(0xfffe, 0);
    b.writeUInt16LE(0xe000, 2);
    b.writeUInt32LE(len, 4);
    return b;
  };
  const pixelHeader = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const seqDelim = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  const after = encodeDataset([{ tag: tag(0xfffc, 0xfffc), vr: 'OB', value: Buffer.from('HONG^GILDONG') }], true);
  const h = await readDicom(bufferSource(Buffer.concat([meta, before, pixelHeader, item(0), item(1000), item(2000), seqDelim, after])));
  expect(h.pixelData?.length).toBe(0xffffffff);
  expect(h.trailing.map((e) => e.tag)).toEqual([tag(0xfffc, 0xfffc)]);
});

test.each([
  ['deflated', TRANSFER_SYNTAX.deflatedExplicitLittle, 'transfer_syntax'],
  ['big endian', TRANSFER_SYNTAX.explicitBig, 'transfer_syntax'],
])('refuses the %s transfer syntax with a reason', async (_n, ts, rule) => {
  const file = encodeFile({ sopClassUid: '1.2.3', sopInstanceUid: '2.25.1', transferSyntax: ts }, [{ tag: T.PatientID, vr: 'LO', value: 'x' }]);
  await expect(readDicom(bufferSource(file))).rejects.toMatchObject({ name: 'DicomParseError', rule });
});

test('refuses a file without the DICM prefix, and a truncated one', async () => {
  await expect(readDicom(bufferSource(Buffer.alloc(200)))).rejects.toMatchObject({ rule: 'not_dicom' });
  const whole = dicomBytes();
  const cut = whole.subarray(0, whole.length - 40); // inside the pixel data
  const err = await readDicom(bufferSource(cut)).catch((e) => e);
  expect(err).toBeInstanceOf(DicomParseError);
  expect(err.rule).toBe('malformed');
});
