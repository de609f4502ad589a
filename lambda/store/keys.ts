/**
 * Key layout of the reading table (single-table design). Every request path reads by one of these
 * keys or by an index; none scans. The access patterns are listed in ./README.md; keep both in step.
 *
 * Sort keys that carry numbers zero-pad them so that string order is numeric order.
 */
export const pad = (n: number, width = 6): string => String(n).padStart(width, '0');

/**
 * The table's key schema: string keys `pk`/`sk`, and two global indexes keyed `<index>pk` /
 * `<index>sk` with every attribute projected. lib/constructs/reading-table.ts declares the same
 * (an infra test compares them); the test harness creates its emulated table from this.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: ['gsi1', 'gsi2'],
} as const;
export type IndexName = (typeof TABLE_SCHEMA.indexes)[number];
/** The key attributes of an index. */
export const indexKeys = (index: IndexName) => ({ partitionKey: `${index}pk`, sortKey: `${index}sk` }) as const;

export const keys = {
  /** Case metadata (files, exams, state, read counters). */
  case: (caseId: string) => ({ pk: `CASE#${caseId}`, sk: 'META' }),
  /** gsi1: all cases by state then registration time, for progress, assignment and export. */
  casesByState: (state: string, registeredAt: string, caseId: string) => ({ gsi1pk: 'CASES', gsi1sk: `${state}#${registeredAt}#${caseId}` }),
  /**
   * gsi2, sparse: cases with a free first-read slot (assignedCount < k), oldest first. The keys are
   * set when a case is registered and removed in the transaction that takes the k-th slot, so
   * "claim next" reads only claimable cases instead of paging past full ones.
   */
  claimable: (registeredAt: string, caseId: string) => ({ gsi2pk: 'CLAIMABLE', gsi2sk: `${registeredAt}#${caseId}` }),
  /**
   * A manifest that was rejected, with its reasons (shown in /progress, newest first by `at`). The
   * sort key names the rejected upload (`upload`: its S3 sequencer, one per PUT of the key, or the
   * time for an event without one: cases.ts `rejectionPutTx`), so a redelivered event finds its
   * rejection there.
   */
  rejection: (caseId: string, at: string, upload: string) => ({ pk: `CASE#${caseId}`, sk: `REJECTED#${upload}`, gsi1pk: 'REJECTIONS', gsi1sk: `${at}#${caseId}` }),

  /** One reader's assignment to one read of a case; readNo 1 is the first read, 2+ hidden repeats. */
  assignment: (caseId: string, readerId: string, readNo: number) => ({ pk: `CASE#${caseId}`, sk: `ASSIGN#${readerId}#${pad(readNo, 2)}` }),
  /**
   * gsi1: a reader's queue by status then time. The tie-breaker is the assignment's ref, not the
   * case id: queue cursors carry this key back to the reader (see assignments.ts).
   */
  queueEntry: (readerId: string, status: string, at: string, ref: string) => ({ gsi1pk: `QUEUE#${readerId}`, gsi1sk: `${status}#${at}#${ref}` }),
  /**
   * An assignment's opaque reference (what readers see and send instead of the case id) → which
   * reader, case and readNo it stands for. Written in the assignment's own transaction.
   */
  assignmentRef: (ref: string) => ({ pk: `REF#${ref}`, sk: 'META' }),

  /** The current version of one read (draft or submitted). */
  read: (caseId: string, readerId: string, readNo: number) => ({ pk: `CASE#${caseId}`, sk: `READ#${readerId}#${pad(readNo, 2)}` }),
  /** Append-only history: one item per saved version, never updated or deleted. */
  readVersion: (caseId: string, readerId: string, readNo: number, version: number) => ({
    pk: `CASE#${caseId}`,
    sk: `HIST#${readerId}#${pad(readNo, 2)}#${pad(version)}`,
  }),

  /** The adjudication task of a case (at most one open at a time). */
  adjudication: (caseId: string) => ({ pk: `CASE#${caseId}`, sk: 'ADJUDICATION' }),
  /** gsi2: open adjudication tasks by priority then time. */
  adjudicationQueue: (status: string, priority: string, at: string, caseId: string) => ({ gsi2pk: `ADJ#${status}`, gsi2sk: `${priority}#${at}#${caseId}` }),
  /** The final grade with provenance. */
  final: (caseId: string) => ({ pk: `CASE#${caseId}`, sk: 'FINAL' }),

  /** Reader profile and workload counters. */
  reader: (readerId: string) => ({ pk: `READER#${readerId}`, sk: 'PROFILE' }),
  /** gsi2: every known reader, for assignment and progress. */
  readerIndex: (readerId: string) => ({ gsi2pk: 'READERS', gsi2sk: readerId }),

  /** A streaming session issued for one case, by the hash of its id (the id is what SessionContext carries; sessions.ts). */
  session: (sessionHash: string) => ({ pk: `SESSION#${sessionHash}`, sk: 'META' }),
  /** Idempotency record of a write (expires via `ttl`; it only deduplicates retries). */
  idempotency: (actor: string, key: string) => ({ pk: `IDEMPOTENCY#${actor}#${key}`, sk: 'RESULT' }),
  /** Audit events by day: who opened, saved, submitted, adjudicated or exported what. */
  audit: (day: string, at: string, id: string) => ({ pk: `AUDIT#${day}`, sk: `${at}#${id}` }),
  /** Export jobs. */
  exportJob: (exportId: string) => ({ pk: `EXPORT#${exportId}`, sk: 'META' }),
  /** Stable export pseudonym (R001…) of one reader; assigned once, never changed or reused. */
  pseudonym: (readerId: string) => ({ pk: 'PSEUDONYMS', sk: `READER#${readerId}` }),
  /** The last pseudonym number handed out (allocation is a conditional transaction on it). */
  pseudonymCounter: () => ({ pk: 'PSEUDONYMS', sk: 'COUNTER' }),
};
