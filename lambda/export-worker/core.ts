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
import { optionEntries, type Eye, type Question } from '../../domain/form/schema';
import { type ReadingConfig } from '../../domain/reading-config';
import { caseEyes, codeOf, compileForm } from '../../domain/form/validator';
import { type AnswerValue, type NormalisedAnswers } from '../../domain/answers';
import { type CaseFacts } from '../../domain/case';
import type { FinalRecord } from '../store/finals';
import type { ReadingStore } from '../store';
import { auditEvent } from '../store/audit';
import type { ExportFile, ExportFormat, ExportJobOutcome } from '../store/exports';
import { AgreementTables, type AgreementLine, type Comparison } from '../../domain/agreement-tables';

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

export interface ExportSource {
  /** Every case, page by page, in a stable order (the pages bound memory). */
  cases(): AsyncIterable<readonly ExportCase[]>;
  /** The submitted reads and final grade of each case of one page, in the same order. */
  details(caseIds: readonly string[]): Promise<CaseDetail[]>;
}

export interface ObjectWriter {
  write(chunk: string): Promise<void>;
  close(): Promise<{ bytes: number }>;
  abort(): Promise<void>;
}

export interface ExportSink {
  open(key: string, contentType: string): ObjectWriter;
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

export async function runExport(input: ExportInput, deps: ExportDeps): Promise<ExportOutcome> {
  const { config } = input;
  const prefix = exportPrefix(input.exportId);
  const wantCsv = input.formats.includes('csv');
  const wantJson = input.formats.includes('json');
  const tables = new AgreementTables(config.form);
  const layout = new Layout(config);
  const codes = new Map<string, string>([['system', SYSTEM_CODE]]);
  const code = (id: string) => codes.get(id) ?? '';
  const counts = { cases: 0, rows: 0, reads: 0 };

  const open: { name: string; key: string; contentType: string; writer: ObjectWriter }[] = [];
  const openFile = (name: string, contentType: string) => {
    const key = prefix + name;
    const writer = deps.sink.open(key, contentType);
    open.push({ name, key, contentType, writer });
    return writer;
  };
  try {
    const grades = wantCsv ? openFile('grades.csv', 'text/csv; charset=utf-8') : undefined;
    const json = wantJson ? openFile('export.json', 'application/json') : undefined;
    await grades?.write(csvLine(gradeColumns(config.assignment.readsPerCase)));
    await json?.write(
      `{"exportId":${JSON.stringify(input.exportId)},"studyId":${JSON.stringify(input.studyId)},"createdAt":${JSON.stringify(input.createdAt)},` +
        `"formId":${JSON.stringify(config.form.formId)},"formVersion":${JSON.stringify(config.form.formVersion)},` +
        `"pseudonymisation":"Readers and adjudicators are stable study codes (R001…); 'system' marks finals decided without an adjudicator. The key is kept only in the study table.",` +
        `"cases":[`,
    );
    let firstCase = true;
    for await (const page of deps.source.cases()) {
      const fetched = await deps.source.details(page.map((c) => c.caseId));
      const details: CaseData[] = page.map((c, i) => ({ ...c, ...fetched[i] }));
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
    }
    const lines = tables.lines();
    await json?.write(`],"agreement":${JSON.stringify(lines)}}`);
    if (wantCsv) {
      const agreement = openFile('agreement.csv', 'text/csv; charset=utf-8');
      await agreement.write(csvLine(AGREEMENT_COLUMNS) + lines.map(agreementLine).join(''));
    }
    const files: ExportFile[] = [];
    for (const f of open) files.push({ name: f.name, key: f.key, contentType: f.contentType, bytes: (await f.writer.close()).bytes });
    return { files, counts };
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
 * conditional update, so a trigger delivered twice, or two workers at once, run it once; a worker
 * that died mid-run leaves a lease that runs out, and the retry takes the job over.
 */
export type JobStore = Pick<ReadingStore, 'takeExportJob' | 'finishExportJob'>;

export interface WorkerDeps {
  config: ReadingConfig;
  studyId: string;
  jobs: JobStore;
  run: ExportDeps;
  now(): string;
  /** How long this invocation may still run (the lease); Lambda's `getRemainingTimeInMillis`. */
  remainingMs(): number;
}

/** `skipped`: not this worker's to run (finished, or another holds it); `superseded`: a retry took over while this one ran. */
export type RunResult = { exportId: string; result: 'complete' | 'failed' | 'skipped' | 'superseded'; error?: string };

export async function runQueuedExport(deps: WorkerDeps, exportId: string): Promise<RunResult> {
  const at = deps.now();
  const job = await deps.jobs.takeExportJob(exportId, { at, until: new Date(Date.parse(at) + deps.remainingMs()).toISOString() });
  if (!job) return { exportId, result: 'skipped' };

  let outcome: ExportJobOutcome;
  try {
    const done = await runExport({ exportId, studyId: deps.studyId, config: deps.config, formats: job.formats, createdAt: job.createdAt }, deps.run);
    outcome = { status: 'complete', files: done.files, counts: done.counts, at: deps.now() };
  } catch (e) {
    // The class only: messages can carry data. The job says "failed"; the coordinator asks again.
    outcome = { status: 'failed', error: (e as Error)?.name ?? 'Error', at: deps.now() };
  }
  const audit = auditEvent({
    at: outcome.at,
    actor: 'system',
    action: outcome.status === 'complete' ? 'export_completed' : 'export_failed',
    detail: { exportId, requestedBy: job.requestedBy, attempt: job.attempts ?? 1, ...(outcome.status === 'complete' ? { cases: outcome.counts.cases } : {}) },
  });
  if (!(await deps.jobs.finishExportJob(exportId, job.attempts ?? 1, outcome, audit))) return { exportId, result: 'superseded' };
  return { exportId, result: outcome.status, ...(outcome.status === 'failed' ? { error: outcome.error } : {}) };
}
