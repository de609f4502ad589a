/**
 * Agreement statistics accumulated case by case as contingency tables, so an export of 60,000
 * cases holds a few small tables per question instead of every pair. The statistics themselves
 * come from the domain agreement module; this file only counts.
 */
import type { Eye, Form } from './form/schema';
import {
  scaleOf,
  statsFromTable,
  type AgreementRow,
  type AgreementStats,
  type Scale,
  type Table,
} from './agreement';
import { compileForm } from './form/validator';

export type Comparison = 'inter_reader' | 'reader_vs_final' | 'intra_reader';

export interface AgreementLine {
  comparison: Comparison;
  /** Pseudonym for per-reader lines; undefined for inter-reader lines. */
  reader?: string;
  question: string;
  /** 'all' pools both eyes (and is the only line of participant-level questions). */
  eye: Eye | 'all';
  /** Pairs with a side missing or off the scale (ungradable eye, hidden, 'unable'). */
  skipped: number;
  stats: AgreementStats | null;
  reason?: string;
}

interface Group {
  comparison: Comparison;
  reader?: string;
  question: string;
  eye: Eye | 'all';
  table: Table;
  index: Map<number, number>;
  skipped: number;
}

/** A snapshot: per group [comparison, reader ('' for none), question, eye, skipped, non-zero cells as i, j, n …]. */
export type AgreementTablesState = [Comparison, string, string, Eye | 'all', number, number[]][];

export class AgreementTables {
  private readonly groups = new Map<string, Group>();
  private readonly scales = new Map<string, Scale | { reason: string }>();
  private readonly order: Map<string, number>;

  constructor(form: Form) {
    const cf = compileForm(form);
    this.order = new Map([...cf.byKey.keys()].map((k, i) => [k, i]));
    for (const [key, cq] of cf.byKey) this.scales.set(key, scaleOf(cq.question));
  }

  /**
   * Adds the rows of one comparison. Inter-reader rows also count per eye; per-reader rows are
   * pooled over eyes (the NHS-DESP-style table), like the domain's `perReaderAgreement`.
   */
  add(comparison: Comparison, rows: readonly AgreementRow[], reader?: string): void {
    for (const row of rows) this.addPair(comparison, reader, row.question, row.eye, row.a, row.b);
  }

  /** One compared pair (the row-free form of `add`, for the export's hot loop). */
  addPair(comparison: Comparison, reader: string | undefined, question: string, eye: Eye | undefined, a: number | null, b: number | null): void {
    this.count(comparison, reader, question, 'all', a, b);
    if (comparison === 'inter_reader' && eye) this.count(comparison, reader, question, eye, a, b);
  }

  private group(comparison: Comparison, reader: string | undefined, question: string, eye: Eye | 'all'): Group {
    const id = `${comparison}\u0000${reader ?? ''}\u0000${question}\u0000${eye}`;
    let group = this.groups.get(id);
    if (!group) {
      const scale = this.scales.get(question);
      const categories = scale && 'categories' in scale ? scale.categories : [];
      group = {
        comparison,
        reader,
        question,
        eye,
        table: { counts: categories.map(() => categories.map(() => 0)), n: 0 },
        index: new Map(categories.map((c, i) => [c, i])),
        skipped: 0,
      };
      this.groups.set(id, group);
    }
    return group;
  }

  private count(comparison: Comparison, reader: string | undefined, question: string, eye: Eye | 'all', a: number | null, b: number | null): void {
    const group = this.group(comparison, reader, question, eye);
    const i = a === null ? undefined : group.index.get(a);
    const j = b === null ? undefined : group.index.get(b);
    if (i === undefined || j === undefined) group.skipped++;
    else {
      group.table.counts[i][j]++;
      group.table.n++;
    }
  }

  /**
   * The counts so far, as plain data (an export's checkpoint): `restore` on tables of the same form
   * continues exactly where these stopped. Sparse: only the non-zero cells.
   */
  snapshot(): AgreementTablesState {
    return [...this.groups.values()].map((g) => {
      const cells: number[] = [];
      g.table.counts.forEach((row, i) => row.forEach((n, j) => n && cells.push(i, j, n)));
      return [g.comparison, g.reader ?? '', g.question, g.eye, g.skipped, cells];
    });
  }

  restore(state: AgreementTablesState): void {
    for (const [comparison, reader, question, eye, skipped, cells] of state) {
      const g = this.group(comparison, reader || undefined, question, eye);
      g.skipped = skipped;
      for (let k = 0; k < cells.length; k += 3) {
        g.table.counts[cells[k]][cells[k + 1]] = cells[k + 2];
        g.table.n += cells[k + 2];
      }
    }
  }

  /** Lines in a stable order: comparison, reader, form question order, eye (all, OD, OS). */
  lines(): AgreementLine[] {
    const rank = { inter_reader: 0, reader_vs_final: 1, intra_reader: 2 } as const;
    const eyeRank = (e: Eye | 'all') => (e === 'all' ? 0 : e === 'OD' ? 1 : 2);
    return [...this.groups.values()]
      .sort(
        (x, y) =>
          rank[x.comparison] - rank[y.comparison] ||
          (x.reader ?? '').localeCompare(y.reader ?? '') ||
          (this.order.get(x.question) ?? 0) - (this.order.get(y.question) ?? 0) ||
          eyeRank(x.eye) - eyeRank(y.eye),
      )
      .map((g) => {
        const scale = this.scales.get(g.question);
        const base = { comparison: g.comparison, ...(g.reader ? { reader: g.reader } : {}), question: g.question, eye: g.eye, skipped: g.skipped };
        if (!scale || 'reason' in scale) return { ...base, stats: null, reason: scale ? scale.reason : 'not a question of this form' };
        return { ...base, stats: statsFromTable(g.table, scale) };
      });
  }
}
