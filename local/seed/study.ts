/**
 * The demo study of the local room, seeded the way a real study fills up:
 *
 * - 50 synthetic cases uploaded to the scans bucket (files first, the manifest last, as `readroom
 *   ingest` does) and registered by the registry's handler on their manifests: fundus photos as
 *   PNG (./images.ts, procedural), a few fundus photos and OCT volumes as DICOM (cli/dicom's
 *   writer); 25 examined at SNUH, 25 at AMC;
 * - the demo users (./users.ts), readers at two sites, an adjudicator, a coordinator;
 * - the reading state through the real API (the gateway, with the users' own tokens): the
 *   coordinator's bulk assignment case by case, reads saved and submitted by their readers, so
 *   there are assignments waiting, drafts, submitted reads, concordant finals and one open
 *   adjudication.
 *
 * Images are a pure function of their seed, so they are cached on disk
 * (node_modules/.cache/readroom-seed) and a second start skips generating them.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { encodeOphthalmicHeader } from '../../cli/dicom/writer';
import type { NormalisedAnswers } from '../../domain/answers';
import { mapLimited } from '../../lambda/runtime/map-limited';
import { encodePng, fundusPhoto, octVolume, subSeed, toRgb, type Eye } from './images';
import { createDemoUser, DEMO_USERS, type DemoPool, type DemoUser } from './users';

export const CASES_PER_SITE = 25;
const SITES = ['SNUH', 'AMC'] as const;
const CACHE = join(__dirname, '..', '..', 'node_modules', '.cache', 'readroom-seed', 'v1');
/** Distinct photos per eye; cases share them (generating one costs ~70 ms on a busy core). */
const PHOTOS_PER_EYE = 6;
const PHOTO_SIZE = 384;

export interface SeedContext {
  cognito: CognitoIdentityProviderClient;
  s3: S3Client;
  pool: DemoPool;
  bucket: string;
  apiUrl: string;
  cognitoEndpoint: string;
  region: string;
  /** Registers the manifests uploaded so far (the room's watcher); resolves to how many cases are registered in all. */
  registerManifests(): Promise<number>;
  log(line: string): void;
  /** Cases per site (`demoCasePlan`). @default CASES_PER_SITE (the demo) */
  casesPerSite?: number;
}

export interface SeedSummary {
  users: DemoUser[];
  caseIds: string[];
  /** The case reader.new and reader.lee both hold, untouched. */
  sharedCase: string;
  /** The case with the open adjudication. */
  adjudicationCase: string;
}

/** `DEMO-A001`: the site's initial and a number. */
export const caseId = (site: (typeof SITES)[number], n: number) => `DEMO-${site[0]}${String(n).padStart(3, '0')}`;

/** Cases with OCT volumes (DICOM, multi-frame) and with fundus photos as DICOM instead of PNG. */
const hasOct = (n: number) => n % 10 === 5;
const dicomFundus = (n: number) => n === 7;

function cached(name: string, make: () => Buffer): Buffer {
  const file = join(CACHE, name);
  if (existsSync(file)) return readFileSync(file);
  const body = make();
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(file, body);
  return body;
}

const uid = (seed: number, part: number) => `2.25.${(BigInt(seed >>> 0) * 1_000_003n + BigInt(part)).toString()}`;

function photo(eye: Eye, k: number): Buffer {
  return cached(`fundus-${eye}-${k}.png`, () => encodePng(fundusPhoto({ eye, seed: subSeed(k, `fundus-${eye}`), size: PHOTO_SIZE, lesions: { drusen: k % 3 === 0 ? 12 : 0, haemorrhages: k % 3 === 1 ? 6 : 0 } })));
}

function photoDicom(eye: Eye, k: number, pseudonym: string): Buffer {
  return cached(`fundus-${eye}-${k}.dcm`, () => {
    const image = fundusPhoto({ eye, seed: subSeed(k, `fundus-${eye}`), size: PHOTO_SIZE });
    const head = encodeOphthalmicHeader({ kind: 'OP', rows: image.height, columns: image.width, laterality: eye === 'OD' ? 'R' : 'L', sopInstanceUid: uid(k, 1), studyInstanceUid: uid(k, 2), seriesInstanceUid: uid(k, 3), patientId: pseudonym });
    return Buffer.concat([head, Buffer.from(toRgb(image))]);
  });
}

function octDicom(eye: Eye, k: number, pseudonym: string): Buffer {
  return cached(`oct-${eye}-${k}.dcm`, () => {
    const volume = octVolume({ eye, seed: subSeed(k, `oct-${eye}`), width: 256, height: 160, frames: 12, lesions: { drusen: k % 2 ? 4 : 0 } });
    const head = encodeOphthalmicHeader({ kind: 'OPT', rows: volume.height, columns: volume.width, frames: volume.frames.length, laterality: eye === 'OD' ? 'R' : 'L', sopInstanceUid: uid(k, 4), studyInstanceUid: uid(k, 5), seriesInstanceUid: uid(k, 6), patientId: pseudonym });
    return Buffer.concat([head, ...volume.frames.map((f) => Buffer.from(f))]);
  });
}

/** One case of the demo study as it is uploaded (bodies made on upload, from the cache). */
export interface PlannedCase {
  site: (typeof SITES)[number];
  n: number;
  id: string;
  files: Array<{ key: string; exam: 'fundus' | 'oct'; eye: Eye }>;
}

/**
 * The seed's reading state uses cases 1–8 of SNUH and 1–6 of AMC (`seedStudy`): fewer cases per
 * site could not hold it.
 */
export const MIN_CASES_PER_SITE = 8;

/** The cases the seed uploads: `casesPerSite` at each site (the demo: 25), in upload order. */
export function demoCasePlan(casesPerSite: number = CASES_PER_SITE): PlannedCase[] {
  if (!Number.isInteger(casesPerSite) || casesPerSite < MIN_CASES_PER_SITE) {
    throw new RangeError(`seed: casesPerSite must be a whole number ≥ ${MIN_CASES_PER_SITE} (the reading state uses SNUH cases 1–8), got ${casesPerSite}`);
  }
  return SITES.flatMap((site) =>
    Array.from({ length: casesPerSite }, (_, i) => {
      const n = i + 1;
      const ext = dicomFundus(n) ? 'dcm' : 'png';
      const files = (['OD', 'OS'] as const).flatMap((eye) => [
        { key: `fundus/${eye}.${ext}`, exam: 'fundus' as const, eye },
        ...(hasOct(n) ? [{ key: `oct/${eye}.dcm`, exam: 'oct' as const, eye }] : []),
      ]);
      return { site, n, id: caseId(site, n), files };
    }),
  );
}

/**
 * Cases going up at once: each case's files still go first and its manifest last, but four cases
 * overlap, so the SDK's and the proxy's work in this process runs beside moto's (one request at a
 * time behind the serial proxy): the upload was most of the seed's time.
 */
const UPLOADS_IN_FLIGHT = 4;

async function uploadCases(ctx: SeedContext, cases: PlannedCase[]): Promise<string[]> {
  await mapLimited(cases, UPLOADS_IN_FLIGHT, async ({ site, n, id, files: planned }) => {
    const k = (n + (site === 'AMC' ? 3 : 0)) % PHOTOS_PER_EYE;
    const body = (f: PlannedCase['files'][number]) => (f.exam === 'oct' ? octDicom(f.eye, n % 2, id) : dicomFundus(n) ? photoDicom(f.eye, k, id) : photo(f.eye, k));
    const files = planned.map((f) => ({ ...f, body: body(f) }));
    for (const f of files) await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `cases/${id}/${f.key}`, Body: f.body }));
    const manifest = {
      caseId: id,
      site,
      files: files.map((f) => ({ key: f.key, exam: f.exam, eye: f.eye, bytes: f.body.length })),
      context: { ageBand5y: `${55 + (n % 5) * 5}-${59 + (n % 5) * 5}`, iopOD: 12 + (n % 9), iopOS: 13 + (n % 7) },
    };
    await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `cases/${id}/manifest.json`, Body: JSON.stringify(manifest), ContentType: 'application/json' }));
  });
  return cases.map((c) => c.id);
}

const HEALTHY = { fundusQuality: 'good', icdrLevel: 'none', dme: 'absent', beckmanClass: 'no_aging_changes', vcdr: 0.3, glaucomaLikelihood: 'no' };
export function demoAnswers(over: { icdrOD?: string; referral?: string } = {}): NormalisedAnswers {
  return { eyes: { OD: { ...HEALTHY, icdrLevel: over.icdrOD ?? 'none' }, OS: { ...HEALTHY } }, participant: { referral: over.referral ?? 'none' } };
}

/** A call to the local API as the portal makes it (the user's ID token). */
async function api(ctx: SeedContext, user: DemoUser, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${ctx.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.tokens!.idToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`seed: ${method} ${path} as ${user.username} answered ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

export async function seedStudy(ctx: SeedContext): Promise<SeedSummary> {
  const plan = demoCasePlan(ctx.casesPerSite);
  const [caseIds, users] = await Promise.all([
    uploadCases(ctx, plan),
    Promise.all(DEMO_USERS.map((spec) => createDemoUser(ctx.cognito, ctx.pool, spec, ctx.cognitoEndpoint, ctx.region))),
  ]);
  const registered = await ctx.registerManifests();
  // The room's watcher may have registered most of them already, on its own timer.
  ctx.log(`${registered} of ${caseIds.length} cases registered, ${users.length} users`);
  const u = Object.fromEntries(users.map((x) => [x.username, x])) as Record<string, DemoUser>;
  const coordinator = u['coord.han'];

  const refsSeen = new Map<string, Set<string>>();
  /**
   * Bulk-assigns the cases to each of these readers (one coordinator call); returns each enrolled
   * reader's new refs. Readers never learn case ids, so which ref is which case is not known here:
   * the seed only relies on what holds for every pairing (two identical submissions agree).
   */
  const assign = async (ids: string[], readers: DemoUser[]): Promise<string[][]> => {
    const out = await api(ctx, coordinator, 'POST', '/assignments', { caseIds: ids, readerIds: readers.map((r) => r.sub), readsPerCase: readers.length, hiddenRepeats: false });
    if ((out.assigned?.length ?? 0) !== ids.length * readers.length) throw new Error(`seed: ${ids.join(', ')} not assigned to ${readers.map((r) => r.username).join(', ')}: ${JSON.stringify(out).slice(0, 300)}`);
    return Promise.all(
      readers.map(async (r) => {
        if (r.fresh) return [];
        const seen = refsSeen.get(r.username) ?? new Set<string>();
        const queue = await api(ctx, r, 'GET', '/queue?limit=100');
        const fresh = (queue.items as Array<{ ref: string }>).map((i) => i.ref).filter((ref) => !seen.has(ref));
        if (fresh.length !== ids.length) throw new Error(`seed: expected ${ids.length} new assignments for ${r.username}, found ${fresh.length}`);
        fresh.forEach((ref) => seen.add(ref));
        refsSeen.set(r.username, seen);
        return fresh;
      }),
    );
  };
  const save = (reader: DemoUser, ref: string, answers: NormalisedAnswers, submit: boolean) => api(ctx, reader, 'PUT', `/assignments/${ref}/read`, { answers, submit }, { 'idempotency-key': randomUUID() });
  const draft = (reader: DemoUser, ref: string) => save(reader, ref, { eyes: { OD: { fundusQuality: 'good' } } } as unknown as NormalisedAnswers, false);
  const sites = (site: 'SNUH' | 'AMC', from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => caseId(site, from + i));

  // AMC readers read SNUH cases: three concordant finals (identical reads), one discordant pair
  // (the open adjudication), then submitted reads beside drafts and assignments waiting.
  const [park, jung] = [u['reader.park'], u['reader.jung']];
  const [p1, j1] = await assign(sites('SNUH', 1, 3), [park, jung]);
  for (const ref of p1) await save(park, ref, demoAnswers(), true);
  for (const ref of j1) await save(jung, ref, demoAnswers(), true);
  const [[p2], [j2]] = await assign([caseId('SNUH', 4)], [park, jung]);
  await save(park, p2, demoAnswers({ icdrOD: 'mild_npdr' }), true);
  await save(jung, j2, demoAnswers({ icdrOD: 'severe_npdr', referral: 'urgent' }), true);
  const [p3, j3] = await assign(sites('SNUH', 5, 8), [park, jung]);
  await save(park, p3[0], demoAnswers(), true);
  await draft(park, p3[1]);
  await draft(jung, j3[2]);
  // SNUH readers read AMC cases. The first waits for reader.new and reader.lee (the end-to-end
  // tests' discordant pair); kim and yoon have reads in every state.
  await assign([caseId('AMC', 1)], [u['reader.new'], u['reader.lee']]);
  const [kim, yoon] = [u['reader.kim'], u['reader.yoon']];
  const [k1, y1] = await assign(sites('AMC', 2, 6), [kim, yoon]);
  await save(kim, k1[0], demoAnswers(), true);
  await save(kim, k1[1], demoAnswers(), true);
  await draft(kim, k1[2]);
  await save(yoon, y1[0], demoAnswers(), true);
  await draft(yoon, y1[1]);
  return { users, caseIds, sharedCase: caseId('AMC', 1), adjudicationCase: caseId('SNUH', 4) };
}
