/**
 * Registering a case from its manifest. Every manifest event ends in exactly one of: the case
 * registered or updated, a stale duplicate ignored, or a rejection stored with its reasons (shown in
 * /progress); an upload delivered again finds its registration or its rejection done (`redelivered`).
 * A bad manifest is never dropped silently, and never throws: only infrastructure failures throw
 * (so that Lambda retries the event).
 *
 * Existence of the named files is checked by listing the case prefix (ListObjectsV2): the function
 * never opens an image, so its role needs no read access to scan data beyond manifests.
 */
import { CASE_ID } from '../runtime/http';
import { log } from '../runtime/log';
import type { ReadingStore } from '../store';
import { auditEvent } from '../store/audit';
import type { CaseRejection } from '../store/cases';
import { MANIFEST_NAME, MAX_MANIFEST_BYTES, ManifestSchema } from '../../domain/manifest';

export interface ManifestObjects {
  /** The manifest's text; 'too_large' above `maxBytes`; undefined if it no longer exists. */
  readManifest(key: string, maxBytes: number): Promise<string | 'too_large' | undefined>;
  /** Every object under `prefix`: key relative to the prefix → size in bytes. */
  listCase(prefix: string): Promise<Map<string, number>>;
}

/**
 * The case registry in the reading table (a slice of the store): register a case; store a rejection
 * with its audit event, once per upload; take a case's rejections of earlier uploads (smaller sequencer) off the
 * /progress list; audit a registration.
 */
export type CaseRegistry = Pick<ReadingStore, 'registerCase' | 'rejectManifest' | 'resolveRejections' | 'putAudit'>;

export interface RegisterDeps {
  objects: ManifestObjects;
  registry: CaseRegistry;
  now: () => Date;
}

export type Reason = CaseRejection['reasons'][number];
export type RegisterOutcome =
  | { result: 'created' | 'updated' | 'unchanged' | 'stale' | 'redelivered'; caseId: string }
  | { result: 'rejected'; caseId: string; reasons: Reason[] }
  | { result: 'ignored'; why: 'not_a_manifest' | 'gone' };

const MANIFEST_KEY = new RegExp(`^cases/([^/]+)/${MANIFEST_NAME.replace('.', '\\.')}$`);

/** S3 sequencers are hex of varying length; the larger value is the later event. Pad to compare as strings. */
export const normaliseSequencer = (s: string | undefined) => (s ?? '').toUpperCase().padStart(64, '0');

export async function registerManifest(deps: RegisterDeps, input: { key: string; sequencer: string }): Promise<RegisterOutcome> {
  const match = MANIFEST_KEY.exec(input.key);
  if (!match) return { result: 'ignored', why: 'not_a_manifest' };
  const folder = match[1];
  const at = deps.now().toISOString();
  const sequencer = normaliseSequencer(input.sequencer);
  const reject = async (caseId: string, reasons: Reason[]): Promise<RegisterOutcome> => {
    const stored = await deps.registry.rejectManifest({ caseId, at, manifestKey: input.key, reasons, sequencer }, auditEvent({ at, actor: 'system', action: 'manifest_rejected', caseId, detail: { reasons: reasons.length } }));
    if (stored === 'redelivered') {
      // This upload's rejection is already recorded (S3 delivers at least once): a result, not an
      // error, so the event is not retried.
      log.info('manifest rejection redelivered', { caseId });
      return { result: 'redelivered', caseId };
    }
    log.warn('manifest rejected', { caseId, reasons: reasons.length, firstRule: reasons[0]?.rule });
    return { result: 'rejected', caseId, reasons };
  };

  if (!CASE_ID.test(folder)) {
    // Still recorded (under the folder name, cut to a safe length) so the coordinator sees it.
    return reject(folder.slice(0, 64), [{ field: 'key', rule: 'case_id', message: `the case folder name must match ${CASE_ID}` }]);
  }
  const text = await deps.objects.readManifest(input.key, MAX_MANIFEST_BYTES);
  if (text === undefined) return { result: 'ignored', why: 'gone' };
  if (text === 'too_large') return reject(folder, [{ field: 'manifest', rule: 'max_size', message: `the manifest must be at most ${MAX_MANIFEST_BYTES} bytes` }]);

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return reject(folder, [{ field: 'manifest', rule: 'json', message: 'the manifest is not valid JSON' }]);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    return reject(
      folder,
      parsed.error.issues.slice(0, 50).map((i) => {
        const field = i.path.length > 0 ? i.path.join('.') : 'manifest';
        return { field, rule: i.code, message: `${field}: ${i.message}` };
      }),
    );
  }
  const manifest = parsed.data;
  if (manifest.caseId !== folder) {
    return reject(folder, [{ field: 'caseId', rule: 'matches_folder', message: `caseId: must equal the case folder name '${folder}'` }]);
  }

  const present = await deps.objects.listCase(`cases/${folder}/`);
  const reasons: Reason[] = [];
  manifest.files.forEach((f, i) => {
    const size = present.get(f.key);
    if (size === undefined) reasons.push({ field: `files.${i}.key`, rule: 'missing', message: `files.${i}.key: '${f.key}' is not in the case folder` });
    else if (f.bytes !== undefined && f.bytes !== size) reasons.push({ field: `files.${i}.bytes`, rule: 'size', message: `files.${i}.bytes: is ${f.bytes} but the object has ${size}` });
  });
  if (reasons.length > 0) return reject(folder, reasons.slice(0, 50));

  // The audit event is written in the case's own transaction, so a cut after it cannot lose it and
  // a redelivery (`redelivered`) does not write it twice.
  const registered = await deps.registry.registerCase({ caseId: manifest.caseId, files: manifest.files, context: manifest.context, site: manifest.site }, at, sequencer, (result) =>
    auditEvent({ at, actor: 'system', action: 'case_registered', caseId: manifest.caseId, detail: { files: manifest.files.length, result } }),
  );
  if (registered.result === 'in_use') {
    // The case was handed out on its current files, site and context: a reader's read, an
    // adjudication or a final would otherwise be about images nobody saw.
    const { assignedCount, submittedCount, state, withdrawnCount } = registered;
    return reject(folder, [
      {
        field: 'manifest',
        rule: 'case_in_use',
        message: `the case already has readers (${assignedCount} first-read slot(s) taken, ${submittedCount} read(s) submitted, ${withdrawnCount ? `${withdrawnCount} withdrawn assignment(s) with their drafts kept, ` : ''}state ${state}), so its files, site and context can no longer change; this manifest was not applied. Register changed images under a new case id; re-uploading the registered manifest clears this entry.`,
      },
    ]);
  }
  const result = registered.result;
  let rejectionsResolved = 0;
  if (result !== 'stale') {
    // Only a manifest that registered resolves rejections, and only those of earlier uploads: each
    // gets `resolvedAt`. A redelivery resolves what an earlier delivery, cut short, did not.
    rejectionsResolved = await deps.registry.resolveRejections(manifest.caseId, at, sequencer);
  }
  log.info('manifest applied', { caseId: manifest.caseId, result, files: manifest.files.length, rejectionsResolved });
  return { result, caseId: manifest.caseId };
}
