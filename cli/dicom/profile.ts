/**
 * DICOM PS3.15 Annex E's Table E.1-1, read from the dated copy in annex-e.json (source and edition
 * recorded there). The gate and the de-identifier take every attribute's action from it.
 */
import table from './annex-e.json';
import { formatTag, groupOf } from './tags';

export type OptionColumn =
  | 'retainSafePrivate'
  | 'retainUIDs'
  | 'retainDeviceIdentity'
  | 'retainInstitutionIdentity'
  | 'retainPatientCharacteristics'
  | 'retainLongitudinalFullDates'
  | 'retainLongitudinalModifiedDates'
  | 'cleanDescriptors'
  | 'cleanStructuredContent'
  | 'cleanGraphics';

export interface ProfileRow {
  /** As the table writes it: `(0010,0010)`, `(60XX,3000)`. */
  tag: string;
  name: string;
  /** Derived from the name the way DICOM keywords are formed (`Patient's Name` → `PatientName`). */
  keyword: string;
  /** The Basic Profile action: X, Z, D, U, or a choice such as X/Z/D or X/Z/U*. */
  basic: string;
  options: Partial<Record<OptionColumn, string>>;
}

export const PROFILE_SOURCE = { title: table.title, source: table.source, edition: table.edition, copied: table.copied, rows: table.rows.length };

/** `Patient's Name` → `PatientName`, `Name of Physician(s) Reading Study` → `NameOfPhysiciansReadingStudy`. */
export function keywordOf(name: string): string {
  return name
    .replace(/\(see Note \d+\)/, '')
    .replace(/'s\b/g, '')
    .split(/[\s\-/]+/)
    .map((w) => w.replace(/[^A-Za-z0-9]/g, ''))
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

const columns = table.columns.slice(4) as OptionColumn[];
const rows: ProfileRow[] = table.rows.map((r) => ({
  tag: r[0],
  name: r[1],
  keyword: keywordOf(r[1]),
  basic: r[3],
  options: Object.fromEntries(columns.map((c, i) => [c, r[4 + i]]).filter(([, v]) => v !== '')),
}));

const exact = new Map<number, ProfileRow>();
/** Rows for repeating groups (`(50XX,XXXX)`, `(60XX,3000)`): value and mask per 32-bit tag. */
const masked: Array<{ value: number; mask: number; row: ProfileRow }> = [];
for (const row of rows) {
  const m = /^\(([0-9A-FX]{4}),([0-9A-FX]{4})\)$/.exec(row.tag);
  if (!m) continue; // the private-attributes row: the gate handles odd groups itself
  const hex = m[1] + m[2];
  if (!hex.includes('X')) {
    exact.set(parseInt(hex, 16) >>> 0, row);
    continue;
  }
  const value = parseInt(hex.replace(/X/g, '0'), 16) >>> 0;
  const mask = parseInt([...hex].map((c) => (c === 'X' ? '0' : 'F')).join(''), 16) >>> 0;
  masked.push({ value, mask, row });
}

/** The table's row for a (non-private) tag, if it names it. Repeating groups match only even groups. */
export function profileRow(t: number): ProfileRow | undefined {
  const row = exact.get(t);
  if (row) return row;
  if ((groupOf(t) & 1) === 1) return undefined;
  return masked.find((m) => ((t & m.mask) >>> 0) === m.value)?.row;
}

/** How a row reads for a person: `Patient's Name (0010,0010)`. */
export const describe = (t: number, row?: ProfileRow) => (row ? `${row.name} ${formatTag(t)}` : formatTag(t));

export const allRows = (): readonly ProfileRow[] => rows;
