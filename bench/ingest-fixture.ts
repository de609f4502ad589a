/** A small OP or OPT file with a realistic header (sequences, patient characteristics) for the gate benchmark. */
import { T } from '../cli/dicom/tags';
import { encodeOphthalmicHeader, pixelBytes, type OphthalmicImageSpec } from '../cli/dicom/writer';

let n = 0;
export function dicomBytesForBench(caseId: string, kind: 'OP' | 'OPT', laterality: 'R' | 'L'): Buffer {
  const spec: OphthalmicImageSpec = {
    kind,
    rows: 16,
    columns: 16,
    frames: kind === 'OPT' ? 4 : 1,
    laterality,
    patientId: caseId,
    sopInstanceUid: `2.25.9${++n}`,
    studyInstanceUid: `2.25.8${n}`,
    seriesInstanceUid: `2.25.7${n}`,
    extra: [
      { tag: T.PatientAge, vr: 'AS', value: '061Y' },
      { tag: T.PatientSex, vr: 'CS', value: 'M' },
      { tag: T.PixelSpacing, vr: 'DS', value: ['0.0114', '0.0114'] },
      { tag: T.AnatomicRegionSequence, vr: 'SQ', items: [[{ tag: T.CodeValue, vr: 'SH', value: '81745001' }, { tag: T.CodingSchemeDesignator, vr: 'SH', value: 'SCT' }, { tag: T.CodeMeaning, vr: 'LO', value: 'Eye' }]] },
      { tag: T.ReferencedImageSequence, vr: 'SQ', undefinedLength: true, items: [[{ tag: T.ReferencedSOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.77.1.5.1' }, { tag: T.ReferencedSOPInstanceUID, vr: 'UI', value: `2.25.6${n}` }]] },
    ],
  };
  return Buffer.concat([encodeOphthalmicHeader(spec), Buffer.alloc(pixelBytes(spec), 9)]);
}
