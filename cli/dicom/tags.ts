/**
 * The few DICOM tags the reader, the gate, the writer and the de-identifier name directly, and the
 * transfer syntaxes and ophthalmic SOP classes ReadRoom accepts. A tag is `(group << 16) | element`.
 */

export const tag = (group: number, element: number) => ((group << 16) | element) >>> 0;
export const groupOf = (t: number) => t >>> 16;
export const elementOf = (t: number) => t & 0xffff;
const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
/** `(0010,0010)` */
export const formatTag = (t: number) => `(${hex4(groupOf(t))},${hex4(elementOf(t))})`;

/** Parses `0009,1001`, `(0009,1001)` or `00091001`; undefined when it is none of those. */
export function parseTag(text: string): number | undefined {
  const m = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/.exec(text.trim());
  return m ? tag(parseInt(m[1], 16), parseInt(m[2], 16)) : undefined;
}

export const T = {
  FileMetaInformationGroupLength: tag(0x0002, 0x0000),
  FileMetaInformationVersion: tag(0x0002, 0x0001),
  MediaStorageSOPClassUID: tag(0x0002, 0x0002),
  MediaStorageSOPInstanceUID: tag(0x0002, 0x0003),
  TransferSyntaxUID: tag(0x0002, 0x0010),
  ImplementationClassUID: tag(0x0002, 0x0012),
  ImplementationVersionName: tag(0x0002, 0x0013),
  SpecificCharacterSet: tag(0x0008, 0x0005),
  ImageType: tag(0x0008, 0x0008),
  SOPClassUID: tag(0x0008, 0x0016),
  SOPInstanceUID: tag(0x0008, 0x0018),
  StudyDate: tag(0x0008, 0x0020),
  ContentDate: tag(0x0008, 0x0023),
  AccessionNumber: tag(0x0008, 0x0050),
  Modality: tag(0x0008, 0x0060),
  Manufacturer: tag(0x0008, 0x0070),
  ReferringPhysicianName: tag(0x0008, 0x0090),
  InstitutionName: tag(0x0008, 0x0080),
  StudyDescription: tag(0x0008, 0x1030),
  OperatorsName: tag(0x0008, 0x1070),
  ManufacturerModelName: tag(0x0008, 0x1090),
  ReferencedImageSequence: tag(0x0008, 0x1140),
  ReferencedSOPClassUID: tag(0x0008, 0x1150),
  ReferencedSOPInstanceUID: tag(0x0008, 0x1155),
  AnatomicRegionSequence: tag(0x0008, 0x2218),
  CodeValue: tag(0x0008, 0x0100),
  CodingSchemeDesignator: tag(0x0008, 0x0102),
  CodeMeaning: tag(0x0008, 0x0104),
  PatientName: tag(0x0010, 0x0010),
  PatientID: tag(0x0010, 0x0020),
  PatientBirthDate: tag(0x0010, 0x0030),
  PatientSex: tag(0x0010, 0x0040),
  OtherPatientIDsSequence: tag(0x0010, 0x1002),
  PatientAge: tag(0x0010, 0x1010),
  PatientIdentityRemoved: tag(0x0012, 0x0062),
  DeidentificationMethod: tag(0x0012, 0x0063),
  DeviceSerialNumber: tag(0x0018, 0x1000),
  SoftwareVersions: tag(0x0018, 0x1020),
  StudyInstanceUID: tag(0x0020, 0x000d),
  SeriesInstanceUID: tag(0x0020, 0x000e),
  StudyID: tag(0x0020, 0x0010),
  SeriesNumber: tag(0x0020, 0x0011),
  InstanceNumber: tag(0x0020, 0x0013),
  FrameOfReferenceUID: tag(0x0020, 0x0052),
  Laterality: tag(0x0020, 0x0060),
  ImageLaterality: tag(0x0020, 0x0062),
  ImageComments: tag(0x0020, 0x4000),
  SamplesPerPixel: tag(0x0028, 0x0002),
  PhotometricInterpretation: tag(0x0028, 0x0004),
  NumberOfFrames: tag(0x0028, 0x0008),
  Rows: tag(0x0028, 0x0010),
  Columns: tag(0x0028, 0x0011),
  PixelSpacing: tag(0x0028, 0x0030),
  BitsAllocated: tag(0x0028, 0x0100),
  BitsStored: tag(0x0028, 0x0101),
  HighBit: tag(0x0028, 0x0102),
  PixelRepresentation: tag(0x0028, 0x0103),
  BurnedInAnnotation: tag(0x0028, 0x0301),
  LongitudinalTemporalInformationModified: tag(0x0028, 0x0303),
  PixelData: tag(0x7fe0, 0x0010),
  Item: tag(0xfffe, 0xe000),
  ItemDelimitationItem: tag(0xfffe, 0xe00d),
  SequenceDelimitationItem: tag(0xfffe, 0xe0dd),
} as const;

/** Keyword by tag, for reports on attributes outside Annex E's table. */
export const KEYWORDS: ReadonlyMap<number, string> = new Map(Object.entries(T).map(([k, v]) => [v, k]));

export const TRANSFER_SYNTAX = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflatedExplicitLittle: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
} as const;

/**
 * Ophthalmic storage SOP classes (../shared/domain/reading.md section d): everything else is refused,
 * deny by default, because a screenshot, a PDF report or a secondary capture can carry a name in its pixels.
 */
export const OPHTHALMIC_SOP_CLASSES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.5.1.4.1.1.77.1.5.1', 'Ophthalmic Photography 8 Bit Image'],
  ['1.2.840.10008.5.1.4.1.1.77.1.5.2', 'Ophthalmic Photography 16 Bit Image'],
  ['1.2.840.10008.5.1.4.1.1.77.1.5.4', 'Ophthalmic Tomography Image'],
  ['1.2.840.10008.5.1.4.1.1.77.1.5.5', 'Wide Field Ophthalmic Photography Stereographic Projection Image'],
  ['1.2.840.10008.5.1.4.1.1.77.1.5.6', 'Wide Field Ophthalmic Photography 3D Coordinates Image'],
  ['1.2.840.10008.5.1.4.1.1.77.1.5.7', 'Ophthalmic Optical Coherence Tomography En Face Image'],
  ['1.2.840.10008.5.1.4.1.1.77.1.5.8', 'Ophthalmic Optical Coherence Tomography B-scan Volume Analysis'],
  ['1.2.840.10008.5.1.4.1.1.81.1', 'Ophthalmic Thickness Map'],
  ['1.2.840.10008.5.1.4.1.1.79.1', 'Macular Grid Thickness and Volume Report'],
  ['1.2.840.10008.5.1.4.1.1.78.5', 'Visual Acuity Measurements'],
  ['1.2.840.10008.5.1.4.1.1.78.2', 'Autorefraction Measurements'],
  ['1.2.840.10008.5.1.4.1.1.78.4', 'Subjective Refraction Measurements'],
  ['1.2.840.10008.5.1.4.1.1.80.1', 'Ophthalmic Visual Field Static Perimetry Measurements'],
]);
export const SOP_CLASS = {
  op8: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
  opt: '1.2.840.10008.5.1.4.1.1.77.1.5.4',
} as const;

/** Explicit VRs whose length field is 4 bytes (after 2 reserved bytes). */
export const LONG_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
export const UNDEFINED_LENGTH = 0xffffffff;
