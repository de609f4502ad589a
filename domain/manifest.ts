/**
 * The case manifest: `cases/<caseId>/manifest.json` in the scans bucket, uploaded after the
 * case's files (`readroom ingest` does this, and writes it last, so a case appears only when
 * complete). The case registry (lambda/register-case) reads it. Example:
 *
 *   { "caseId": "K2024-000123",
 *     "files": [ { "key": "fundus/OD-1.dcm", "exam": "fundus", "eye": "OD", "bytes": 2450123,
 *                  "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" },
 *                { "key": "oct/OS.dcm",    "exam": "oct",    "eye": "OS" },
 *                { "key": "va.json",       "exam": "va",     "eye": null } ],
 *     "context": { "ageBand5y": "60-64", "bcvaOD": 0.8, "iopOD": 15 },
 *     "site": "SNUH" }
 *
 * File keys are relative to `cases/<caseId>/`; `context` holds read-only values for the form's
 * context panel (no identifiers: the CLI's de-identification gate runs before upload). `site`
 * (optional) is the code of the site that examined the participant, the same code as readers'
 * Cognito `custom:site`: readers are never given their own site's cases. `sha256` (optional, hex)
 * is the file's digest as the CLI read it, for anyone who later needs to prove a copy unchanged.
 */
import * as z from 'zod';
import { CASE_ID, EXAMS, EYES } from './case';
import { normaliseSite } from './site';

export const MANIFEST_NAME = 'manifest.json';
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_FILES = 1000;
const MAX_CONTEXT_ENTRIES = 50;

const RelativeKeySchema = z
  .string()
  .min(1)
  .max(512)
  .refine((k) => !/[\u0000-\u001f\u007f\\]/.test(k), 'must not contain control characters or backslashes')
  .refine((k) => !k.startsWith('/') && k.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'), "must be relative to the case folder, without '', '.' or '..' segments")
  .refine((k) => k !== MANIFEST_NAME, 'must not name the manifest itself');

export const ManifestFileSchema = z.strictObject({
  key: RelativeKeySchema,
  exam: z.enum(EXAMS),
  eye: z.enum(EYES).nullable().default(null),
  bytes: z.number().int().min(0).max(5 * 1024 ** 4).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits').optional(),
});

export const ManifestSchema = z.strictObject({
  caseId: z.string().regex(CASE_ID, `must match ${CASE_ID}`),
  files: z
    .array(ManifestFileSchema)
    .min(1)
    .max(MAX_FILES)
    .superRefine((files, ctx) => {
      const seen = new Set<string>();
      files.forEach((f, i) => {
        if (seen.has(f.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: 'is listed twice' });
        seen.add(f.key);
      });
    }),
  context: z
    .record(z.string().regex(/^[a-z][A-Za-z0-9]{0,63}$/, 'must be a camelCase name'), z.union([z.string().max(200), z.number().finite(), z.boolean(), z.null()]))
    .refine((c) => Object.keys(c).length <= MAX_CONTEXT_ENTRIES, `must have at most ${MAX_CONTEXT_ENTRIES} entries`)
    .optional(),
  /** Normalised like readers' codes (domain/site.ts): ' snuh' is stored as 'SNUH'. */
  site: z
    .string()
    .transform((raw, ctx) => {
      const checked = normaliseSite(raw);
      if (checked.ok) return checked.site;
      ctx.addIssue({ code: 'custom', message: 'must be a site code: 1–32 letters, digits, _ or -, the same code as the readers\' custom:site' });
      return z.NEVER;
    })
    .optional(),
});
export type Manifest = z.output<typeof ManifestSchema>;
