/**
 * The export core with an in-memory source and sink: the file formats, pseudonymisation, CSV
 * safety, streaming (bytes leave before the last page is read), and agreement tables that agree
 * with the domain agreement module (itself checked against published worked examples).
 */
import fc from 'fast-check';
import { AgreementTables } from '../../../domain/agreement-tables';
import {
  AGREEMENT_COLUMNS,
  csvCell,
  gradeColumns,
  Layout,
  runExport,
  type ExportCase,
  type ExportRead,
  type ExportSink,
  type ExportSource,
  type Pseudonymiser,
} from '../../../lambda/export-worker/core';
import { agreementRows, perReaderAgreement, summariseAgreement, type AgreementRow } from '../../../domain/agreement';
import { compileForm } from '../../../domain/form/validator';
import type { FinalRecord } from '../../../lambda/store/finals';
import { CONFIG, FACTS, grade } from '../../helpers/grades';

class MemorySink implements ExportSink {
  readonly files = new Map<string, string>();
  readonly aborted: string[] = [];
  writes = 0;
  open(key: string) {
    this.files.set(key, '');
    return {
      write: async (chunk: string) => {
        this.writes++;
        this.files.set(key, this.files.get(key)! + chunk);
      },
      close: async () => ({ bytes: Buffer.byteLength(this.files.get(key)!) }),
      abort: async () => {
        this.aborted.push(key);
      },
    };
  }
  text(name: string) {
    return [...this.files].find(([k]) => k.endsWith(`/${name}`))![1];
  }
}

const counting = (): Pseudonymiser & { seen: string[] } => {
  const seen: string[] = [];
  return {
    seen,
    codes: async (ids) => {
      for (const id of ids) if (!seen.includes(id)) seen.push(id);
      return new Map(seen.map((id, i) => [id, `R${String(i + 1).padStart(3, '0')}`]));
    },
  };
};

interface Stored {
  c: ExportCase;
  reads: ExportRead[];
  final?: FinalRecord;
}

function memorySource(cases: Stored[], pageSize = 2, onPage?: (i: number) => void): ExportSource {
  return {
    async *cases(after) {
      for (let i = after === undefined ? 0 : Number(after); i < cases.length; i += pageSize) {
        onPage?.(i / pageSize);
        yield { cases: cases.slice(i, i + pageSize).map((s) => s.c), ...(i + pageSize < cases.length ? { next: String(i + pageSize) } : {}) };
      }
    },
    details: async (caseIds) =>
      caseIds.map((caseId) => {
        const s = cases.find((x) => x.c.caseId === caseId)!;
        return { reads: s.reads, ...(s.final ? { final: s.final } : {}) };
      }),
  };
}

const A = 'reader-sub-aaaa';
const B = 'reader-sub-bbbb';
const ADJ = 'adjudicator-sub';
const read = (readerId: string, answers = grade(), readNo = 1): ExportRead => ({ readerId, readNo, submittedAt: '2026-01-02T00:00:00.000Z', answers });
const final = (caseId: string, provenance: FinalRecord['provenance'], value = grade(), decidedBy = 'system'): FinalRecord => ({
  caseId,
  provenance,
  value,
  formVersion: '1.0.0',
  decidedBy,
  decidedAt: '2026-01-05T00:00:00.000Z',
  ...(provenance === 'adjudicated' ? { reasonCode: 'read_b_correct', note: 'Dr Kim says so', picks: [{ question: 'icdrLevel', eye: 'OD' as const, source: 'B' as const }] } : {}),
});

const STUDY: Stored[] = [
  { c: { caseId: 'C1', state: 'final', facts: FACTS }, reads: [read(A), read(B)], final: final('C1', 'concordant') },
  {
    c: { caseId: 'C2', state: 'final', facts: FACTS },
    reads: [read(B, grade({ OD: { icdrLevel: 'severe_npdr' } })), read(A, grade({ OD: { icdrLevel: 'mild_npdr' } })), read(A, grade({ OD: { icdrLevel: 'moderate_npdr' } }), 2)],
    final: final('C2', 'adjudicated', grade({ OD: { icdrLevel: 'severe_npdr' } }), ADJ),
  },
  { c: { caseId: 'C3', state: 'open', facts: { octPresent: false, eyes: ['OD'] } }, reads: [read(A, grade({ participant: { comment: '=HYPERLINK("x"), "quoted"' } }))] },
];

const input = { exportId: 'ex-20260301T000000Z-abcdefgh', studyId: 'test', config: CONFIG, formats: ['csv', 'json'] as const, createdAt: '2026-03-01T00:00:00.000Z' };

function parseCsv(text: string): string[][] {
  // Enough for these files: quoted cells may hold commas and doubled quotes, no newlines.
  return text
    .trim()
    .split('\r\n')
    .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => (m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1])));
}

describe('runExport', () => {
  it('writes grades.csv: one row per case × eye × question, final with provenance, reads under pseudonyms', async () => {
    const sink = new MemorySink();
    const names = counting();
    const out = await runExport(input, { source: memorySource(STUDY), sink, pseudonyms: names });
    if (out.status !== 'complete') throw new Error(out.status);
    const rows = parseCsv(sink.text('grades.csv'));
    const header = rows[0];
    expect(header).toEqual(gradeColumns(2));
    const cf = compileForm(CONFIG.form);
    const perEye = cf.eye.filter((q) => q.question.type !== 'derived').length;
    const perCase = (eyes: number) => eyes * perEye + cf.participant.length;
    expect(rows.length - 1).toBe(perCase(2) + perCase(2) + perCase(1));
    expect(out.counts).toEqual({ cases: 3, rows: rows.length - 1, reads: 6 });

    const col = (name: string) => header.indexOf(name);
    const row = (caseId: string, eye: string, question: string) => rows.find((r) => r[0] === caseId && r[2] === eye && r[3] === question)!;
    const c2 = row('C2', 'OD', 'icdrLevel');
    expect(c2[col('final_value')]).toBe('severe_npdr');
    expect(c2[col('final_code')]).toBe('3');
    expect(c2[col('provenance')]).toBe('adjudicated');
    expect(c2[col('adjudication_reason')]).toBe('read_b_correct');
    expect(c2[col('decided_by')]).toMatch(/^R\d{3}$/);
    // Reads are ordered by pseudonym; the repeat is in the repeat columns, same reader code.
    const codeA = c2[col('repeat1_reader')];
    expect(codeA).toMatch(/^R\d{3}$/);
    expect(c2[col('repeat1_value')]).toBe('moderate_npdr');
    const readCodes = [c2[col('read1_reader')], c2[col('read2_reader')]];
    expect(readCodes).toContain(codeA);
    expect(readCodes).toEqual([...readCodes].sort());
    expect(row('C1', 'OS', 'vcdr')[col('provenance')]).toBe('concordant');
    expect(row('C1', 'OS', 'vcdr')[col('decided_by')]).toBe('system');
    expect(row('C3', 'participant', 'referral')[col('provenance')]).toBe('');
    expect(rows.some((r) => r[0] === 'C3' && r[2] === 'OS')).toBe(false);
  });

  it('never writes a reader id, e-mail or the adjudicator’s note; codes are stable across exports', async () => {
    const sink = new MemorySink();
    const names = counting();
    await runExport(input, { source: memorySource(STUDY), sink, pseudonyms: names });
    for (const text of sink.files.values()) {
      for (const secret of [A, B, ADJ, 'Dr Kim']) expect(text).not.toContain(secret);
    }
    const first = new Map(names.seen.map((id, i) => [id, i]));
    const sink2 = new MemorySink();
    await runExport({ ...input, exportId: 'ex-20260302T000000Z-abcdefgh' }, { source: memorySource([...STUDY].reverse()), sink: sink2, pseudonyms: names });
    expect(new Map(names.seen.map((id, i) => [id, i]))).toEqual(first);
  });

  it('quotes CSV cells and defuses spreadsheet formulas in free text', async () => {
    const sink = new MemorySink();
    await runExport(input, { source: memorySource(STUDY), sink, pseudonyms: counting() });
    const line = sink.text('grades.csv').split('\r\n').find((l) => l.startsWith('C3,open,participant,comment'))!;
    expect(line).toContain(`"'=HYPERLINK(""x""), ""quoted"""`);
    expect(csvCell('-1')).toBe('-1');
    expect(csvCell('-1', true)).toBe("'-1");
  });

  it('export.json is one JSON document with cases, finals, reads and the agreement statistics', async () => {
    const sink = new MemorySink();
    await runExport(input, { source: memorySource(STUDY), sink, pseudonyms: counting() });
    const doc = JSON.parse(sink.text('export.json'));
    expect(doc).toMatchObject({ exportId: input.exportId, formId: CONFIG.form.formId, formVersion: '1.0.0' });
    expect(doc.cases.map((c: { caseId: string }) => c.caseId)).toEqual(['C1', 'C2', 'C3']);
    expect(doc.cases[1].final).toMatchObject({ provenance: 'adjudicated', reasonCode: 'read_b_correct' });
    expect(doc.cases[1].final).not.toHaveProperty('note');
    expect(doc.cases[1].reads.map((r: { kind: string }) => r.kind)).toEqual(['original', 'original', 'repeat']);
    expect(doc.agreement.map((l: { comparison: string }) => l.comparison)).toEqual(expect.arrayContaining(['inter_reader', 'reader_vs_final', 'intra_reader']));
  });

  it('agreement.csv has the statistics per question (and per reader for agreement with final and intra-reader)', async () => {
    const sink = new MemorySink();
    await runExport(input, { source: memorySource(STUDY), sink, pseudonyms: counting() });
    const rows = parseCsv(sink.text('agreement.csv'));
    expect(rows[0]).toEqual(AGREEMENT_COLUMNS);
    const find = (comparison: string, question: string, eye: string) => rows.find((r) => r[0] === comparison && r[2] === question && r[3] === eye)!;
    // icdrLevel, inter-reader, both eyes pooled: C1 OD/OS agree (none), C2 OD mild vs severe, C2 OS agree → 3 of 4.
    const icdr = find('inter_reader', 'icdrLevel', 'all');
    expect(icdr[4]).toBe('4');
    expect(icdr[6]).toBe('0.75');
    expect(icdr[9]).not.toBe(''); // linear weighted kappa (ordinal)
    expect(find('inter_reader', 'dme', 'all')[9]).toBe(''); // nominal: no weighted kappa
    expect(rows.some((r) => r[0] === 'intra_reader' && /^R\d{3}$/.test(r[1]) && r[2] === 'icdrLevel')).toBe(true);
    expect(rows.some((r) => r[0] === 'reader_vs_final' && r[2] === 'referral')).toBe(true);
  });

  it('streams: grade rows reach the sink before the last page of cases is read', async () => {
    const sink = new MemorySink();
    const many: Stored[] = Array.from({ length: 40 }, (_, i) => ({ c: { caseId: `S${i}`, state: 'final', facts: FACTS }, reads: [read(A), read(B)], final: final(`S${i}`, 'concordant') }));
    let bytesWhenLastPageRead = -1;
    await runExport(input, {
      source: memorySource(many, 5, (page) => {
        if (page === 7) bytesWhenLastPageRead = [...sink.files.values()].reduce((n, t) => n + t.length, 0);
      }),
      sink,
      pseudonyms: counting(),
    });
    // One page is read ahead: when the last (8th) page is read, the first six are written.
    expect(bytesWhenLastPageRead).toBeGreaterThan(0.7 * sink.text('grades.csv').length);
  });

  it('a failure mid-way aborts every open file and is rethrown', async () => {
    const sink = new MemorySink();
    const source = memorySource(STUDY);
    source.details = async (caseIds) => {
      if (caseIds.includes('C3')) throw new Error('boom');
      return caseIds.map(() => ({ reads: [] }));
    };
    await expect(runExport(input, { source, sink, pseudonyms: counting() })).rejects.toThrow('boom');
    expect(sink.aborted.sort()).toEqual([`exports/${input.exportId}/export.json`, `exports/${input.exportId}/grades.csv`]);
  });
});

describe('Layout.comparePairs', () => {
  it('yields exactly the domain agreementRows pairs (eyes, questions, missing sides)', () => {
    const reads = [
      grade(),
      grade({ OD: { icdrLevel: 'pdr', dme: 'present', dmeSeverity: 'moderate' }, participant: { confidence: 3, comment: 'x' } }),
      grade({ OS: { fundusQuality: 'ungradable', icdrLevel: undefined, dme: undefined, beckmanClass: undefined, vcdr: undefined, glaucomaLikelihood: undefined } }),
      grade({ OD: { vcdr: 'unable', laserScars: ['panretinal'] } }),
      { eyes: { OD: grade().eyes.OD }, participant: { referral: 'urgent' } },
    ];
    const layout = new Layout(CONFIG);
    fc.assert(
      fc.property(fc.constantFrom(...reads), fc.constantFrom(...reads), (a, b) => {
        const mine: unknown[] = [];
        layout.comparePairs(a, b, (question, eye, x, y) => mine.push({ caseId: 'c', ...(eye ? { eye } : {}), question, a: x, b: y }));
        const sortKey = (r: any) => `${r.question}/${r.eye}`;
        expect([...mine].sort((x, y) => sortKey(x).localeCompare(sortKey(y)))).toEqual([...agreementRows(CONFIG.form, 'c', a, b)].sort((x, y) => sortKey(x).localeCompare(sortKey(y))));
      }),
    );
  });
});

describe('AgreementTables', () => {
  const questions = ['icdrLevel', 'dme', 'glaucomaLikelihood', 'vcdr', 'referral', 'laserScars'];
  const code = fc.option(fc.integer({ min: -1, max: 5 }), { nil: null });
  const rowArb: fc.Arbitrary<AgreementRow> = fc.record({
    caseId: fc.constant('c'),
    question: fc.constantFrom(...questions),
    eye: fc.constantFrom('OD' as const, 'OS' as const, undefined),
    a: fc.oneof(code, fc.constantFrom(0.3, 0.35, 0.5)),
    b: fc.oneof(code, fc.constantFrom(0.3, 0.35, 0.5)),
  });
  const pick = (xs: { question: string; eye: string; stats: unknown; skipped: number }[]) => xs.map(({ question, eye, stats, skipped }) => ({ question, eye, stats, skipped }));

  it('gives exactly the domain module’s numbers, counted incrementally (inter-reader and per reader)', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), (rows) => {
        const rowsWithEye = rows.map((r) => (r.question === 'referral' ? { ...r, eye: undefined } : r));
        const tables = new AgreementTables(CONFIG.form);
        tables.add('inter_reader', rowsWithEye);
        tables.add('reader_vs_final', rowsWithEye, 'R001');
        const lines = tables.lines();
        const inter = lines.filter((l) => l.comparison === 'inter_reader');
        const sortKey = (l: { question: string; eye: string }) => `${l.question}/${l.eye}`;
        const expected = summariseAgreement(CONFIG.form, rowsWithEye).sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
        expect(pick([...inter].sort((x, y) => sortKey(x).localeCompare(sortKey(y))))).toEqual(pick(expected));
        const perReader = perReaderAgreement(
          CONFIG.form,
          rowsWithEye.map((r) => ({ readerId: 'R001', question: r.question, eye: r.eye, value: r.a, reference: r.b })),
        );
        const mine = lines.filter((l) => l.comparison === 'reader_vs_final');
        expect(pick(mine.sort((x, y) => sortKey(x).localeCompare(sortKey(y))))).toEqual(pick(perReader.sort((x, y) => sortKey(x).localeCompare(sortKey(y)))));
      }),
      { numRuns: 300 },
    );
  });
});
