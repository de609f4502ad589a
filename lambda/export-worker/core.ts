/**
 * The export worker's use cases: running one queued export job (`runQueuedExport`), and the study
 * export itself (`runExport`): grades (CSV and JSON) and agreement statistics, streamed case by case
 * so that memory stays flat however many cases the study has. Pure over its ports (a case source,
 * an object sink, a pseudonymiser, the job's slice of the store), so the benchmark can run it
 * against any store:
 *
 *   import { discardingSink, runExport } from '../lambda/export-worker/core';
 *   import { storeExportSource, storePseudonyms } from '../lambda/export-worker/adapters';
 *   await runExport({ exportId, studyId, config, formats: ['csv', 'json'], createdAt },
 *     { source: storeExportSource(store), sink: discardingSink(), pseudonyms: storePseudonyms(store, now) });
 *
 * Files under `exports/<exportId>/`:
 * - `grades.csv`: one row per case × eye × question (participant-level questions: eye
 *   `participant`), with the final value, its code and provenance, and every submitted read.
 * - `agreement.csv`: one row per comparison × (reader) × question × eye, with the statistics.
 * - `export.json`: the same grades nested per case, plus the statistics and a description.
 *
 * Readers and adjudicators appear only as stable pseudonyms (R001…); see store/exports.ts.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { optionEntries, type Eye, type Question } from '../../domain/form/schema';
import { type ReadingConfig } from '../../domain/reading-config';
import { caseEyes, codeOf, compileForm } from '../../domain/form/validator';
import { type AnswerValue, type NormalisedAnswers } from '../../domain/answers';
import { type CaseFacts } from '../../domain/case';
import type { FinalRecord } from '../store/finals';
import type { ReadingStore } from '../store';
import { auditEvent } from '../store/audit';
import type { ExportFile, ExportFormat, ExportJobOutcome } from '../store/exports';
import { AgreementTables, type AgreementLine, type AgreementTablesState, type Comparison } from '../../domain/agreement-tables';

// ---------------------------------------------------------------------------------------------
// Ports.

export interface ExportCase {
  caseId: string;
  state: string;
  facts: CaseFacts;
}

/** A submitted read (drafts are never exported). readNo 1 is the original read, 2+ a hidden repeat. */
export interface ExportRead {
  readerId: string;
  readNo: number;
  submittedAt?: string;
  answers: NormalisedAnswers;
}

export interface CaseDetail {
  reads: ExportRead[];
  final?: FinalRecord;
}

/** One page of cases, and the source's cursor to continue after it (absent on the last page). */
export interface ExportPage {
  cases: readonly ExportCase[];
  next?: string;
}

export interface ExportSource {
  /** Every case after `after` (a page's `next`; from the start without it), page by page, in a stable order (the pages bound memory). */
  cases(after?: string): AsyncIterable<ExportPage>;
  /** The submitted reads and final grade of each case of one page, in the same order. */
  details(caseIds: readonly string[]): Promise<CaseDetail[]>;
}

/** Where a file stands at a checkpoint: its multipart upload and the parts stored so far. */
export interface WriterState {
  uploadId?: string;
  parts: { PartNumber: number; ETag: string }[];
  bytes: number;
}

export interface ObjectWriter {
  write(chunk: string): Promise<void>;
  close(): Promise<{ bytes: number }>;
  abort(): Promise<void>;
  /**
   * Resumable writers only. `pending`: bytes written and held in memory, not stored yet; `cut`:
   * stores them now as one part and returns the state a later run can reopen the file from.
   */
  pending?(): number;
  cut?(): Promise<WriterState>;
}

export interface ExportSink {
  /**
   * Opens a file; `from` reopens one at a checkpoint's state. `firstPart`: the lowest part number
   * this run may use (each attempt has its own block, so two workers never write the same part).
   */
  open(key: string, contentType: string, from?: { state?: WriterState; firstPart?: number }): ObjectWriter;
  /** Resumable sinks: a checkpoint is taken at a page end once every open file holds this much (a part can be cut from each). */
  readonly cutBytes?: number;
}

export interface Pseudonymiser {
  /** Stable codes for these people (allocating new ones as needed), in order of first appearance. */
  codes(personIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export interface ExportDeps {
  source: ExportSource;
  sink: ExportSink;
  pseudonyms: Pseudonymiser;
}

export interface ExportInput {
  exportId: string;
  studyId: string;
  config: ReadingConfig;
  formats: readonly ExportFormat[];
  createdAt: string;
}

export interface ExportOutcome {
  files: ExportFile[];
  counts: { cases: number; rows: number; reads: number };
}

/** What a cut-off run needs to continue with the same bytes: everything the export holds between pages. */
export interface ExportCheckpoint {
  v: 1;
  /** The source's cursor after the last page included; `end` once every page is in. */
  after?: string;
  end?: boolean;
  counts: ExportOutcome['counts'];
  /** export.json: no case written yet (the next one is not preceded by a comma). */
  firstCase: boolean;
  files: { name: string; key: string; contentType: string; state: WriterState }[];
  agreement: AgreementTablesState;
}

/** How one run is steered by its job (all optional: without it the export runs start to end). */
export interface RunControl {
  /** A checkpoint of this export to continue from. */
  resume?: ExportCheckpoint;
  /** The lowest part number this run may use (see ExportSink.open). */
  firstPart?: number;
  /** Persists a checkpoint; false when this run no longer owns the job (it stops, `superseded`). */
  save?(checkpoint: ExportCheckpoint): Promise<boolean>;
  /** Whether this run still owns the job, asked before the files are completed. */
  owns?(): Promise<boolean>;
  /** Asked after every page, saying whether a checkpoint was just saved: stop now (the Lambda's time is running out). */
  stop?(checkpointed: boolean): boolean;
}

export type RunOutcome =
  | ({ status: 'complete' } & ExportOutcome)
  /** Stopped between pages at `stop()`: the last saved checkpoint is where the next run resumes. */
  | { status: 'stopped'; cases: number }
  | { status: 'superseded' };

export const exportPrefix = (exportId: string) => `exports/${exportId}/`;

// ---------------------------------------------------------------------------------------------
// CSV.

const CSV_SPECIAL = /[",\r\n]/;
// A cell starting with one of these is a formula in spreadsheet programs (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | undefined | null, text = false): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (text && FORMULA_START.test(s)) s = `'${s}`;
  return CSV_SPECIAL.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvLine = (cells: readonly string[]) => cells.join(',') + '\r\n';

function formatValue(value: AnswerValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join('|') : String(value);
}

export function gradeColumns(readsPerCase: number): string[] {
  const readCols = (prefix: string) =>
    Array.from({ length: readsPerCase }, (_, i) => [`${prefix}${i + 1}_reader`, `${prefix}${i + 1}_value`, `${prefix}${i + 1}_code`]).flat();
  return [
    'case_id',
    'case_state',
    'eye',
    'question',
    'final_value',
    'final_code',
    'provenance',
    'decided_by',
    'decided_at',
    'adjudication_reason',
    ...readCols('read'),
    ...readCols('repeat'),
  ];
}

export const AGREEMENT_COLUMNS = [
  'comparison',
  'reader',
  'question',
  'eye',
  'n',
  'skipped',
  'percent_exact',
  'within_one_step',
  'kappa',
  'linear_weighted_kappa',
  'quadratic_weighted_kappa',
  'pabak',
  'note',
];

const num = (x: number | null | undefined) => (x === null || x === undefined ? '' : String(Number(x.toFixed(6))));

function agreementLine(l: AgreementLine): string {
  const s = l.stats;
  const reasons = [l.reason, s?.kappa.reason && `kappa: ${s.kappa.reason}`].filter(Boolean).join('; ');
  return csvLine([
    l.comparison,
    l.reader ?? '',
    l.question,
    l.eye,
    s ? String(s.n) : '0',
    String(l.skipped),
    num(s?.percentExact),
    num(s?.withinOneStep),
    num(s?.kappa.value),
    num(s?.linearWeightedKappa?.value),
    num(s?.quadraticWeightedKappa?.value),
    num(s?.pabak),
    csvCell(reasons || undefined),
  ]);
}

// ---------------------------------------------------------------------------------------------
// One case.

interface CaseData extends ExportCase {
  reads: ExportRead[];
  final?: FinalRecord;
}

type Coder = (value: unknown) => number | null;

/** One question × eye position of the form, with a precomputed coder (same codes as `codeOf`). */
export interface Position {
  question: Question;
  /** undefined for participant-level questions. */
  eye?: Eye;
  code: Coder;
}

/**
 * The form laid out once per export: grade-row positions and coders, so that the per-case work
 * is lookups (60,000 cases × ~60 rows × several reads).
 */
export class Layout {
  readonly eyeQuestions: { question: Question; code: Coder; codeable: boolean }[];
  readonly participantQuestions: { question: Question; code: Coder; codeable: boolean }[];

  constructor(readonly config: ReadingConfig) {
    const cf = compileForm(config.form);
    const entry = (question: Question) => ({ question, code: coderFor(question), codeable: ['single', 'ordinal', 'number', 'bool'].includes(question.type) });
    this.eyeQuestions = cf.eye.filter((q) => q.question.type !== 'derived').map((q) => entry(q.question));
    this.participantQuestions = cf.participant.filter((q) => q.question.type !== 'derived').map((q) => entry(q.question));
  }

  /**
   * The compared pairs of two answer sets, as the domain's `agreementRows` builds them (eyes either
   * side answered, both-missing pairs left out), without building row objects.
   */
  comparePairs(a: NormalisedAnswers, b: NormalisedAnswers, emit: (question: string, eye: Eye | undefined, x: number | null, y: number | null) => void): void {
    const eyes = this.config.form.eyes.filter((e) => a.eyes[e] || b.eyes[e]);
    for (const q of this.eyeQuestions) {
      if (!q.codeable) continue;
      for (const eye of eyes) {
        const x = q.code(a.eyes[eye]?.[q.question.key]);
        const y = q.code(b.eyes[eye]?.[q.question.key]);
        if (x !== null || y !== null) emit(q.question.key, eye, x, y);
      }
    }
    for (const q of this.participantQuestions) {
      if (!q.codeable) continue;
      const x = q.code(a.participant[q.question.key]);
      const y = q.code(b.participant[q.question.key]);
      if (x !== null || y !== null) emit(q.question.key, undefined, x, y);
    }
  }
}

function coderFor(question: Question): Coder {
  if (question.type === 'single' || question.type === 'ordinal') {
    const codes = new Map<unknown, number>(optionEntries(question).map((o, i) => [o.value, o.code ?? i]));
    return (v) => codes.get(v) ?? null;
  }
  return (v) => codeOf(question, v);
}

/** Original reads and repeats, each in a stable order (by pseudonym, so columns do not leak ids). */
function splitReads(reads: readonly ExportRead[], code: (id: string) => string) {
  const key = (r: ExportRead) => `${code(r.readerId)}\u0000${r.readerId}\u0000${String(r.readNo).padStart(3, '0')}`;
  const sorted = [...reads].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { originals: sorted.filter((r) => r.readNo === 1), repeats: sorted.filter((r) => r.readNo > 1) };
}
type Split = ReturnType<typeof splitReads>;

function scopeValue(answers: NormalisedAnswers | undefined, question: string, eye?: Eye): AnswerValue | undefined {
  return eye ? answers?.eyes[eye]?.[question] : answers?.participant[question];
}

/** Pairs for the statistics of one case. */
function caseComparisons(layout: Layout, data: CaseData, reads: Split, code: (id: string) => string, tables: AgreementTables): void {
  const { originals, repeats } = reads;
  const add = (comparison: Comparison, a: NormalisedAnswers, b: NormalisedAnswers, reader?: string) =>
    layout.comparePairs(a, b, (question, eye, x, y) => tables.addPair(comparison, reader, question, eye, x, y));
  // Inter-reader: every pair of distinct readers' original reads (k = 2 gives the one pair).
  for (let i = 0; i < originals.length; i++) {
    for (let j = i + 1; j < originals.length; j++) {
      if (originals[i].readerId !== originals[j].readerId) add('inter_reader', originals[i].answers, originals[j].answers);
    }
  }
  if (data.final) for (const r of originals) add('reader_vs_final', r.answers, data.final.value, code(r.readerId));
  for (const rep of repeats) {
    const original = originals.find((o) => o.readerId === rep.readerId);
    if (original) add('intra_reader', rep.answers, original.answers, code(rep.readerId));
  }
}

function gradeRows(layout: Layout, data: CaseData, reads: Split, code: (id: string) => string): string {
  const k = layout.config.assignment.readsPerCase;
  const { originals, repeats } = reads;
  const final = data.final;
  // Cells that are the same on every row of the case.
  const head = `${csvCell(data.caseId)},${csvCell(data.state)},`;
  const provenance = final ? `${final.provenance},${csvCell(code(final.decidedBy))},${final.decidedAt},${csvCell(final.reasonCode)}` : ',,,';
  const readers = (list: readonly ExportRead[]) => Array.from({ length: k }, (_, i) => (list[i] ? code(list[i].readerId) : ''));
  const originalCodes = readers(originals);
  const repeatCodes = readers(repeats);
  let out = '';
  const row = (q: { question: Question; code: Coder }, eye?: Eye) => {
    const key = q.question.key;
    const text = q.question.type === 'text';
    const cells = (list: readonly ExportRead[], codes: string[]) => {
      let line = '';
      for (let i = 0; i < k; i++) {
        const r = list[i];
        if (!r) {
          line += ',,,';
          continue;
        }
        const v = scopeValue(r.answers, key, eye);
        line += `,${codes[i]},${csvCell(formatValue(v), text)},${num(q.code(v))}`;
      }
      return line;
    };
    const finalValue = scopeValue(final?.value, key, eye);
    out += `${head}${eye ?? 'participant'},${key},${csvCell(formatValue(finalValue), text)},${num(q.code(finalValue))},${provenance}${cells(originals, originalCodes)}${cells(repeats, repeatCodes)}\r\n`;
  };
  for (const eye of caseEyes(layout.config.form, data.facts)) for (const q of layout.eyeQuestions) row(q, eye);
  for (const q of layout.participantQuestions) row(q);
  return out;
}

function caseJson(data: CaseData, reads: Split, code: (id: string) => string): string {
  const { originals, repeats } = reads;
  const read = (r: ExportRead, kind: 'original' | 'repeat') => ({ reader: code(r.readerId), kind, submittedAt: r.submittedAt, answers: r.answers });
  const f = data.final;
  return JSON.stringify({
    caseId: data.caseId,
    state: data.state,
    eyes: data.facts.eyes,
    octPresent: data.facts.octPresent,
    ...(data.facts.octEyes ? { octEyes: data.facts.octEyes } : {}),
    // The adjudicator's free-text note is left out on purpose: it is not a grade and may name people.
    final: f ? { provenance: f.provenance, decidedBy: code(f.decidedBy), decidedAt: f.decidedAt, reasonCode: f.reasonCode, picks: f.picks, value: f.value } : null,
    reads: [...originals.map((r) => read(r, 'original')), ...repeats.map((r) => read(r, 'repeat'))],
  });
}

// ---------------------------------------------------------------------------------------------
// The run.

export const SYSTEM_CODE = 'system';

/** A sink that keeps nothing and counts bytes (benchmarks: the cost of the export without S3). */
export function discardingSink(): ExportSink & { bytes(): number } {
  let total = 0;
  return {
    bytes: () => total,
    open: () => {
      let bytes = 0;
      return {
        write: async (chunk: string) => {
          bytes += Buffer.byteLength(chunk);
          total += Buffer.byteLength(chunk);
        },
        close: async () => ({ bytes }),
        abort: async () => undefined,
      };
    },
  };
}

/**
 * The export, start to end, or from `control.resume` on. Pages are read one ahead (the next page's
 * cases and details are fetched while this one is written). With `control.save` and a resumable
 * sink, a checkpoint is taken at the end of a page once every open file holds `sink.cutBytes`:
 * each file's buffer is stored as a part, then the checkpoint (cursor, parts, counts, agreement
 * tables) is saved. A run resumed from it writes the same bytes as one that never stopped.
 */
export async function runExport(input: ExportInput, deps: ExportDeps, control: RunControl = {}): Promise<RunOutcome> {
  const { config } = input;
  const prefix = exportPrefix(input.exportId);
  const resume = control.resume;
  const wantCsv = input.formats.includes('csv');
  const wantJson = input.formats.includes('json');
  const tables = new AgreementTables(config.form);
  if (resume) tables.restore(resume.agreement);
  const layout = new Layout(config);
  const codes = new Map<string, string>([['system', SYSTEM_CODE]]);
  const code = (id: string) => codes.get(id) ?? '';
  const counts = resume ? { ...resume.counts } : { cases: 0, rows: 0, reads: 0 };
  let firstCase = resume?.firstCase ?? true;

  const open: { name: string; key: string; contentType: string; writer: ObjectWriter }[] = [];
  const openFile = (name: string, contentType: string, state?: WriterState) => {
    const key = prefix + name;
    const writer = deps.sink.open(key, contentType, { state, firstPart: control.firstPart });
    open.push({ name, key, contentType, writer });
    return writer;
  };
  try {
    let grades: ObjectWriter | undefined;
    let json: ObjectWriter | undefined;
    if (resume) {
      for (const f of resume.files) {
        const w = openFile(f.name, f.contentType, f.state);
        if (f.name === 'grades.csv') grades = w;
        if (f.name === 'export.json') json = w;
      }
    } else {
      grades = wantCsv ? openFile('grades.csv', 'text/csv; charset=utf-8') : undefined;
      json = wantJson ? openFile('export.json', 'application/json') : undefined;
      await grades?.write(csvLine(gradeColumns(config.assignment.readsPerCase)));
      await json?.write(
        `{"exportId":${JSON.stringify(input.exportId)},"studyId":${JSON.stringify(input.studyId)},"createdAt":${JSON.stringify(input.createdAt)},` +
          `"formId":${JSON.stringify(config.form.formId)},"formVersion":${JSON.stringify(config.form.formVersion)},` +
          `"pseudonymisation":"Readers and adjudicators are stable study codes (R001…); 'system' marks finals decided without an adjudicator. The key is kept only in the study table.",` +
          `"cases":[`,
      );
    }
    const cutBytes = deps.sink.cutBytes;
    const resumable = control.save !== undefined && cutBytes !== undefined && open.every((f) => f.writer.cut && f.writer.pending);

    if (!resume?.end) {
      const pages = deps.source.cases(resume?.after)[Symbol.asyncIterator]();
      const fetchPage = async () => {
        const r = await pages.next();
        return r.done ? undefined : { page: r.value, details: await deps.source.details(r.value.cases.map((c) => c.caseId)) };
      };
      let ahead = fetchPage();
      for (;;) {
        const current = await ahead;
        if (!current) break;
        ahead = fetchPage();
        ahead.catch(() => undefined); // awaited on the next turn; not unhandled if this page fails first
        const { page, details: fetched } = current;
        const details: CaseData[] = page.cases.map((c, i) => ({ ...c, ...fetched[i] }));
        const people = details.flatMap((d) => [...d.reads.map((r) => r.readerId), ...(d.final ? [d.final.decidedBy] : [])]).filter((id) => !codes.has(id));
        if (people.length > 0) for (const [id, c] of await deps.pseudonyms.codes(people)) codes.set(id, c);
        for (const data of details) {
          counts.cases++;
          counts.reads += data.reads.length;
          const reads = splitReads(data.reads, code);
          caseComparisons(layout, data, reads, code, tables);
          counts.rows += caseEyes(config.form, data.facts).length * layout.eyeQuestions.length + layout.participantQuestions.length;
          if (grades) await grades.write(gradeRows(layout, data, reads, code));
          if (json) {
            await json.write((firstCase ? '' : ',') + caseJson(data, reads, code));
            firstCase = false;
          }
        }
        let checkpointed = false;
        if (resumable && open.every((f) => f.writer.pending!() >= cutBytes)) {
          // The files' parts go out side by side (the sink bounds how many); each cut returns once its are acknowledged.
          const files = await Promise.all(open.map(async (f) => ({ name: f.name, key: f.key, contentType: f.contentType, state: await f.writer.cut!() })));
          const checkpoint: ExportCheckpoint = {
            v: 1,
            ...(page.next === undefined ? { end: true } : { after: page.next }),
            counts: { ...counts },
            firstCase,
            files,
            agreement: tables.snapshot(),
          };
          if (!(await control.save!(checkpoint))) return { status: 'superseded' };
          checkpointed = true;
        }
        if (page.next !== undefined && control.stop?.(checkpointed)) {
          await ahead.catch(() => undefined);
          return { status: 'stopped', cases: counts.cases };
        }
      }
    }
    const lines = tables.lines();
    await json?.write(`],"agreement":${JSON.stringify(lines)}}`);
    if (wantCsv) {
      const agreement = openFile('agreement.csv', 'text/csv; charset=utf-8');
      await agreement.write(csvLine(AGREEMENT_COLUMNS) + lines.map(agreementLine).join(''));
    }
    // The uploads are shared by every attempt: only the owner may complete them.
    if (control.owns && !(await control.owns())) return { status: 'superseded' };
    const files: ExportFile[] = [];
    for (const f of open) files.push({ name: f.name, key: f.key, contentType: f.contentType, bytes: (await f.writer.close()).bytes });
    return { status: 'complete', files, counts };
  } catch (e) {
    await Promise.allSettled(open.map((f) => f.writer.abort()));
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The queued export job.

/**
 * Runs one queued export (POST /exports only queues it: a study of 60,000 cases takes minutes,
 * far past API Gateway's 30-second limit). Idempotent over redelivery: the job is taken with a
 * conditional update, so a trigger delivered twice, or two workers at once, run it once.
 *
 * A run that is cut off loses at most the pages since its last checkpoint. When the Lambda's time
 * is running out the worker stops and puts the job back in the queue: at the first checkpoint once
 * less than SOFT_STOP_MS is left (so the next attempt redoes nothing), or after any page once less
 * than STOP_RESERVE_MS is left; that update's stream record starts the next worker, which takes
 * the job (a new attempt) and resumes from the checkpoint. A worker that dies without stopping
 * leaves a lease that runs out; the stream's retry, or the next poll of the job (which requeues
 * it), takes it over and resumes the same way. A requeue that throws is rethrown (README.md).
 * Every attempt writes its parts in its own block of part numbers, and saves checkpoints, requeues
 * and finishes only while it still owns the job, so a stale worker cannot write into the file the
 * owner completes. After MAX_ATTEMPTS attempts the job fails.
 */
export type JobStore = Pick<ReadingStore, 'takeExportJob' | 'saveExportCheckpoint' | 'requeueExportJob' | 'finishExportJob'>;

export interface WorkerDeps {
  config: ReadingConfig;
  studyId: string;
  jobs: JobStore;
  run: ExportDeps;
  now(): string;
  /**
   * How long this invocation may still run: Lambda's `getRemainingTimeInMillis`. Asked once when
   * the job is taken (the lease) and after every page (stop in time and requeue).
   */
  remainingMs(): number;
}

/** Stop after any page when less than this is left: a page, the requeue, and slack for a slow request. */
export const STOP_RESERVE_MS = 60_000;
/**
 * Stop at the next checkpoint once less than this is left. A checkpoint comes every `cutBytes` of
 * the slowest-growing file (export.json: ~4,200 cases at 5 MiB): seconds on DynamoDB, about a
 * minute on the emulator.
 */
export const SOFT_STOP_MS = 4 * 60_000;
/** Attempts per job; each has a block of PART_BLOCK part numbers (S3 allows 10,000). */
export const MAX_ATTEMPTS = 10;
export const PART_BLOCK = 1000;
const MAX_CHECKPOINT_BYTES = 300_000;

/**
 * `skipped`: not this worker's to run (finished, or another holds it); `superseded`: a retry took
 * over while this one ran; `requeued`: stopped in time and queued again to resume from its checkpoint.
 */
export type RunResult = { exportId: string; result: 'complete' | 'failed' | 'skipped' | 'superseded' | 'requeued'; error?: string; cases?: number };

const encodeCheckpoint = (c: ExportCheckpoint) => gzipSync(JSON.stringify(c));
const decodeCheckpoint = (data: Uint8Array): ExportCheckpoint => JSON.parse(gunzipSync(data).toString('utf8')) as ExportCheckpoint;

export async function runQueuedExport(deps: WorkerDeps, exportId: string): Promise<RunResult> {
  const at = deps.now();
  const job = await deps.jobs.takeExportJob(exportId, { at, until: new Date(Date.parse(at) + deps.remainingMs()).toISOString() });
  if (!job) return { exportId, result: 'skipped' };
  const attempt = job.attempts ?? 1;

  // Only the export itself fails the job. The requeue below is outside this try: a requeue that
  // throws is not the export's failure, so it reaches the stream, which retries the record (and a
  // poll of the job requeues it once the lease has passed).
  let done: RunOutcome | { status: 'failed'; error: string };
  try {
    if (attempt > MAX_ATTEMPTS) throw Object.assign(new Error('export attempts exhausted'), { name: 'ExportAttemptsExhausted' });
    done = await runExport({ exportId, studyId: deps.studyId, config: deps.config, formats: job.formats, createdAt: job.createdAt }, deps.run, {
      ...(job.checkpoint ? { resume: decodeCheckpoint(job.checkpoint) } : {}),
      firstPart: (attempt - 1) * PART_BLOCK + 1,
      save: (c) => {
        const data = encodeCheckpoint(c);
        // An item holds 400 KB; a checkpoint that does not fit is skipped (the previous one stands).
        return data.length > MAX_CHECKPOINT_BYTES ? Promise.resolve(true) : deps.jobs.saveExportCheckpoint(exportId, attempt, { data, cases: c.counts.cases });
      },
      owns: () => deps.jobs.saveExportCheckpoint(exportId, attempt),
      stop: (checkpointed) => {
        const left = deps.remainingMs();
        return left < STOP_RESERVE_MS || (checkpointed && left < SOFT_STOP_MS);
      },
    });
  } catch (e) {
    // The class only: messages can carry data. The job says "failed"; the coordinator asks again.
    done = { status: 'failed', error: (e as Error)?.name ?? 'Error' };
  }
  if (done.status === 'superseded') return { exportId, result: 'superseded' };
  if (done.status === 'stopped') {
    // false only when another attempt took the job (the requeue is idempotent for this one).
    const requeued = await deps.jobs.requeueExportJob(exportId, attempt, deps.now());
    return { exportId, result: requeued ? 'requeued' : 'superseded', cases: done.cases };
  }
  const outcome: ExportJobOutcome =
    done.status === 'failed' ? { status: 'failed', error: done.error, at: deps.now() } : { status: 'complete', files: done.files, counts: done.counts, at: deps.now() };
  const audit = auditEvent({
    at: outcome.at,
    actor: 'system',
    action: outcome.status === 'complete' ? 'export_completed' : 'export_failed',
    detail: { exportId, requestedBy: job.requestedBy, attempt, ...(outcome.status === 'complete' ? { cases: outcome.counts.cases } : {}) },
  });
  if (!(await deps.jobs.finishExportJob(exportId, attempt, outcome, audit))) return { exportId, result: 'superseded' };
  return { exportId, result: outcome.status, ...(outcome.status === 'failed' ? { error: outcome.error } : {}) };
}
