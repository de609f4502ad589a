/**
 * Cases (`CASE#<id>` / `META`) and rejected manifests (`CASE#<id>` / `REJECTED#<sequencer>`).
 *
 * A case carries what the manifest said (files, exams, eyes, context panel values), its reading
 * state and two counters that only ever move inside transactions: `assignedCount` (first-read slots
 * taken, never above readsPerCase) and `submittedCount` (first reads submitted). `readers` is the
 * string set of readers holding a first-read slot: "claim next" filters on it and the claim's
 * condition re-checks it, so no reader ever holds two slots of one case.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Eye } from '../../domain/form/schema';
import { keys } from './keys';
import { decodeCursor, encodeCursor, type Page } from './page';
import { mapLimited } from '../runtime/map-limited';
import { auditPutTx, type AuditEvent } from './audit';
import { batchGet, count, isConditionFailed, queryAll, recordOf, transact, TransactionCancelled, type LabelledTx, type Table, type TxItem } from './table';
import type { CaseFile, CaseState, ContextValues, Exam } from '../../domain/case';
import type { SlotTaker } from '../../domain/assignment/access';

/** gsi1's partition of every case, by state then registration time. */
const CASES = keys.casesByState('', '', '').gsi1pk;

export interface CaseRecord {
  caseId: string;
  files: CaseFile[];
  exams: Exam[];
  /** Eyes imaged (from the files' laterality); empty when no file names an eye. */
  eyes: Eye[];
  octPresent: boolean;
  /** Eyes with an OCT file, when every OCT file names its eye (see CaseFacts.octEyes). */
  octEyes?: Eye[];
  context?: ContextValues;
  /** Site code from the manifest: readers of this site never read the case. */
  site?: string;
  /**
   * Readers excluded from the case (declared conflicts of interest, from POST /assignments): they
   * never get it, by assignment or by "claim next".
   */
  excluded?: string[];
  state: CaseState;
  assignedCount: number;
  submittedCount: number;
  /** Readers holding a first-read slot. */
  readers: string[];
  /**
   * Assignments of the case a coordinator withdrew (withdrawals.ts): each left a draft of the
   * registered files in the history, so a new manifest can no longer replace them.
   */
  withdrawnCount?: number;
  registeredAt: string;
  updatedAt: string;
  /** S3 event sequencer of the manifest that last wrote the case (orders duplicate/late events). */
  manifestSequencer: string;
}

export interface CaseRejection {
  caseId: string;
  at: string;
  manifestKey: string;
  reasons: Array<{ field: string; rule: string; message: string }>;
  /**
   * S3 event sequencer of the rejected upload (normalised): orders it against registrations, and
   * names the upload in the item's key, so that each upload is recorded once however often it arrives.
   */
  sequencer?: string;
  /** Set when a later manifest of the case registered; the rejection then leaves /progress. */
  resolvedAt?: string;
}

export function fromCaseItem(item: Record<string, unknown>): CaseRecord {
  const r = recordOf<Omit<CaseRecord, 'readers' | 'excluded'> & { readers?: Set<string> | string[]; excluded?: Set<string> | string[] }>(item);
  const { readers, excluded, ...rest } = r;
  return { ...rest, readers: [...(readers ?? [])], ...(excluded ? { excluded: [...excluded] } : {}) };
}

export interface ManifestContent {
  caseId: string;
  files: CaseFile[];
  context?: ContextValues;
  site?: string;
}

function described(m: ManifestContent) {
  const eyes = [...new Set(m.files.map((f) => f.eye).filter((e): e is Eye => e !== null))].sort();
  const exams = [...new Set(m.files.map((f) => f.exam))].sort();
  const oct = m.files.filter((f) => f.exam === 'oct');
  // Per-eye only when every OCT file names its eye; one of unknown laterality makes it case-wide.
  const octEyes = oct.length > 0 && oct.every((f) => f.eye !== null) ? [...new Set(oct.map((f) => f.eye as Eye))].sort() : undefined;
  return { files: m.files, exams, eyes, octPresent: oct.length > 0, octEyes, context: m.context, site: m.site };
}

/**
 * What registering a manifest did: created the case; updated its description (nobody has it yet);
 * `unchanged` (a newer upload describing the case exactly as stored); `stale` (an upload older than
 * the one applied: S3 delivers late or twice); or `in_use`: the description would change but the
 * case already has a taken slot, a read or an outcome, so it was left as it is.
 */
export type RegisterResult =
  | { result: 'created' | 'updated' | 'unchanged' | 'stale' | 'redelivered' }
  | { result: 'in_use'; assignedCount: number; submittedCount: number; state: CaseState; withdrawnCount: number };

/** The manifest-given description of a case, comparable field by field whatever the stored key order. */
function descriptionKey(d: { files: readonly CaseFile[]; context?: ContextValues; site?: string }): string {
  const files = d.files.map((f) => [f.key, f.exam, f.eye, f.bytes ?? null]);
  const context = d.context ? Object.keys(d.context).sort().map((k) => [k, d.context![k]]) : null;
  return JSON.stringify([files, context, d.site ?? null]);
}

/**
 * A rejected manifest, kept with its reasons: one item per rejected upload, put only if absent, so a
 * redelivery of the same event neither duplicates nor overwrites it (history is append-only). The
 * upload is the bucket's key (the partition: the case folder; one bucket) and its sequencer; an
 * event without one (S3 always sends it) cannot be told from a new upload, so it is keyed by time.
 */
export function rejectionPutTx(tableName: string, r: CaseRejection): LabelledTx {
  const upload = r.sequencer && /[^0]/.test(r.sequencer) ? r.sequencer : r.at;
  return {
    label: 'rejection',
    item: { Put: { TableName: tableName, Item: { ...keys.rejection(r.caseId, r.at, upload), type: 'rejection', ...r }, ConditionExpression: 'attribute_not_exists(pk)' } },
  };
}

/** What claiming needs to know about a case. */
export type ClaimableCase = Pick<CaseRecord, 'caseId' | 'assignedCount' | 'readers' | 'state' | 'site' | 'excluded'>;

const CLAIMABLE_ATTRIBUTES = 'pk, sk, gsi2pk, gsi2sk, caseId, assignedCount, readers, #state, site, excluded';

/**
 * The conditions on the taker, shared by the claimable listing's filter and the slot's condition:
 * `me` names the reader id's placeholder, `:site` the reader's site when they have one.
 */
const takerCondition = (t: SlotTaker, me: string) =>
  `NOT contains(readers, ${me}) AND NOT contains(excluded, ${me})${t.site !== undefined ? ' AND (attribute_not_exists(site) OR site <> :site)' : ''}`;

/** A case item as claiming sees it (sets arrive as Sets from the document client). */
export function toClaimable(i: Record<string, unknown>): ClaimableCase {
  const setOf = (v: unknown) => [...((v as Set<string> | string[] | undefined) ?? [])];
  return {
    caseId: i.caseId as string,
    assignedCount: Number(i.assignedCount ?? 0),
    readers: setOf(i.readers),
    state: (i.state ?? 'open') as CaseState,
    ...(typeof i.site === 'string' ? { site: i.site } : {}),
    ...(i.excluded ? { excluded: setOf(i.excluded) } : {}),
  };
}

/**
 * Takes one first-read slot of a case for a reader. Optimistic on the count seen when the case was
 * listed, and on the reader being allowed (not a holder, not excluded, not of the case's site).
 * All hold under any concurrency: a claim that lost a race fails here and the caller tries another
 * case. `slots` caps this write (a bulk run may ask for fewer reads than the study's k); the case
 * leaves the claimable index only when the study's `readsPerCase` is reached, so a smaller bulk k
 * leaves the remaining slots to "claim next".
 */
export function takeSlotTx(
  tableName: string,
  c: Pick<CaseRecord, 'caseId' | 'assignedCount'>,
  taker: SlotTaker,
  k: { slots: number; readsPerCase: number },
  at: string,
): LabelledTx {
  const last = c.assignedCount + 1 >= k.readsPerCase;
  return {
    label: 'case',
    item: {
      Update: {
        TableName: tableName,
        Key: keys.case(c.caseId),
        UpdateExpression: `SET assignedCount = :next, updatedAt = :at ADD readers :me${last ? ' REMOVE gsi2pk, gsi2sk' : ''}`,
        ConditionExpression: `assignedCount = :seen AND assignedCount < :k AND #state = :open AND ${takerCondition(taker, ':reader')}`,
        // A lost race returns the case as it is now, so the claimer can retry it without re-listing.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':next': c.assignedCount + 1,
          ':seen': c.assignedCount,
          ':k': Math.min(k.slots, k.readsPerCase),
          ':open': 'open',
          ':me': new Set([taker.readerId]),
          ':reader': taker.readerId,
          ':at': at,
          ...(taker.site !== undefined ? { ':site': taker.site } : {}),
        },
      },
    },
  };
}

/**
 * Guards a save that is allowed only while the case is open (an amendment): if the case was
 * decided after the save was planned, the transaction fails here instead of changing a read the
 * outcome was decided on.
 */
export function caseOpenTx(tableName: string, caseId: string): LabelledTx {
  return {
    label: 'case-open',
    item: {
      ConditionCheck: {
        TableName: tableName,
        Key: keys.case(caseId),
        ConditionExpression: '#state = :open',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':open': 'open' },
      },
    },
  };
}

/**
 * Counts one more submitted first read, optimistic on the count seen; when `close` is given the
 * same update moves the case out of `open` (the k-th read arrived), in the transaction that also
 * writes the adjudication task or the final grade.
 */
export function countSubmissionTx(
  tableName: string,
  c: Pick<CaseRecord, 'caseId' | 'submittedCount' | 'registeredAt'>,
  at: string,
  close?: CaseState,
): LabelledTx {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = { ':seen': c.submittedCount, ':next': c.submittedCount + 1, ':open': 'open', ':at': at };
  let update = 'SET submittedCount = :next, updatedAt = :at';
  if (close) {
    update += ', #state = :state, gsi1sk = :gsk';
    values[':state'] = close;
    values[':gsk'] = keys.casesByState(close, c.registeredAt, c.caseId).gsi1sk;
  }
  return {
    label: 'case',
    item: {
      Update: {
        TableName: tableName,
        Key: keys.case(c.caseId),
        UpdateExpression: update,
        ConditionExpression: 'submittedCount = :seen AND #state = :open',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
  };
}

/** Cases and rejected manifests in the table. */
export function caseStore({ db, tableName }: Table) {
  async function getCase(caseId: string): Promise<CaseRecord | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.case(caseId), ConsistentRead: true }));
    return out.Item ? fromCaseItem(out.Item) : undefined;
  }

  /**
   * The site and exclusions of many cases in one round (BatchGetItem of only those attributes): what
   * the adjudicators' list needs to leave out the same conflicted tasks the detail refuses.
   */
  async function caseConflictFacts(caseIds: readonly string[]): Promise<Map<string, { site?: string; excluded?: string[] }>> {
    const items = await batchGet(db, tableName, [...new Set(caseIds)].map((id) => keys.case(id)), { projection: 'caseId, site, excluded' });
    return new Map(
      items.map((i) => {
        const c = fromCaseItem(i);
        return [c.caseId, { ...(c.site ? { site: c.site } : {}), ...(c.excluded?.length ? { excluded: c.excluded } : {}) }];
      }),
    );
  }

  /**
   * Registers a case from a valid manifest, or updates what the manifest describes while nobody has
   * the case yet: no first-read slot taken, no read submitted, still open. Reading state (counters,
   * readers, state, the claimable index entry) is set only on creation. Once a reader has the case its
   * files, site and context are what they were when it was handed out: a different manifest is
   * `in_use` (the caller records a rejection), an identical one `unchanged`.
   */
  async function registerCase(manifest: ManifestContent, at: string, sequencer: string, audit?: (result: 'created' | 'updated' | 'unchanged') => AuditEvent): Promise<RegisterResult> {
    const d = described(manifest);
    // Each write goes with its audit event in one transaction: a registration is never in the
    // table without its event, and a redelivery of the same upload finds it done (`redelivered`).
    const write = async (item: TxItem, result: 'created' | 'updated' | 'unchanged'): Promise<boolean> => {
      try {
        await transact(db, [{ label: 'case', item }, ...(audit ? [auditPutTx(tableName, audit(result))] : [])]);
        return true;
      } catch (e) {
        if (e instanceof TransactionCancelled && e.failed('case')) return false;
        throw e;
      }
    };
    if (
      await write(
        {
          Put: {
          TableName: tableName,
          Item: {
            ...keys.case(manifest.caseId),
            ...keys.casesByState('open', at, manifest.caseId),
            ...keys.claimable(at, manifest.caseId),
            type: 'case',
            caseId: manifest.caseId,
            ...d,
            state: 'open',
            assignedCount: 0,
            submittedCount: 0,
            registeredAt: at,
            updatedAt: at,
            manifestSequencer: sequencer,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        'created',
      )
    ) {
      return { result: 'created' };
    }
    // The manifest is the whole description: an optional attribute it no longer has is removed.
    const optional: Array<[name: string, placeholder: string, value: unknown]> = [
      ['#context', ':context', d.context],
      ['site', ':site', d.site],
      ['octEyes', ':octEyes', d.octEyes],
    ];
    const set = optional.filter(([, , v]) => v !== undefined);
    const removed = optional.filter(([, , v]) => v === undefined).map(([n]) => n);
    if (
      await write(
        {
          Update: {
          TableName: tableName,
          Key: keys.case(manifest.caseId),
          UpdateExpression: `SET files = :files, exams = :exams, eyes = :eyes, octPresent = :oct, updatedAt = :at, manifestSequencer = :seq${set.map(([n, p]) => `, ${n} = ${p}`).join('')}${
            removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : ''
          }`,
          // Nobody has the case yet: the reads and the outcome must be of the files they were given.
          // A withdrawn assignment counts too: its draft, kept in the history, is of these files.
          ConditionExpression:
            'attribute_exists(pk) AND manifestSequencer < :seq AND assignedCount = :zero AND submittedCount = :zero AND #state = :open AND (attribute_not_exists(withdrawnCount) OR withdrawnCount = :zero)',
          ExpressionAttributeNames: { '#context': 'context', '#state': 'state' },
          ExpressionAttributeValues: {
            ':files': d.files,
            ':exams': d.exams,
            ':eyes': d.eyes,
            ':oct': d.octPresent,
            ':at': at,
            ':seq': sequencer,
            ':zero': 0,
            ':open': 'open',
            ...Object.fromEntries(set.map(([, p, v]) => [p, v])),
          },
          },
        },
        'updated',
      )
    ) {
      return { result: 'updated' };
    }
    // Refused: an older upload, or a case someone already has. Which one is read back (rare path).
    const current = await getCase(manifest.caseId);
    if (!current) return { result: 'stale' };
    // This very upload was applied by an earlier delivery (S3 delivers at least once).
    if (current.manifestSequencer === sequencer) return { result: 'redelivered' };
    if (current.manifestSequencer > sequencer) return { result: 'stale' };
    if (descriptionKey(current) === descriptionKey(d)) {
      // Moves the sequencer on, so that a late delivery of an older, different upload is stale.
      const moved = await write(
        {
          Update: {
            TableName: tableName,
            Key: keys.case(manifest.caseId),
            UpdateExpression: 'SET manifestSequencer = :seq',
            ConditionExpression: 'manifestSequencer < :seq',
            ExpressionAttributeValues: { ':seq': sequencer },
          },
        },
        'unchanged',
      );
      return { result: moved ? 'unchanged' : 'stale' };
    }
    return { result: 'in_use', assignedCount: current.assignedCount, submittedCount: current.submittedCount, state: current.state, withdrawnCount: current.withdrawnCount ?? 0 };
  }

  /**
   * Marks the case's outstanding rejections as resolved by a manifest registered at `at` from the S3
   * event `sequencer`: each keeps its reasons (history is never deleted) but leaves the gsi1
   * `REJECTIONS` index, so /progress lists only manifests still waiting for a fix. Only rejections of
   * earlier uploads (smaller sequencer) are resolved: an older manifest delivered late must not clear
   * the rejection of a newer upload. One Query of the case's own partition (usually empty).
   */
  async function resolveRejections(caseId: string, at: string, sequencer: string): Promise<number> {
    const outstanding = await queryAll(db, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'attribute_exists(gsi1pk)',
      ExpressionAttributeValues: { ':pk': keys.case(caseId).pk, ':prefix': 'REJECTED#' },
    });
    let resolved = 0;
    for (const item of outstanding) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET resolvedAt = :at REMOVE gsi1pk, gsi1sk',
            ConditionExpression: 'attribute_exists(gsi1pk) AND (attribute_not_exists(sequencer) OR sequencer < :seq)',
            ExpressionAttributeValues: { ':at': at, ':seq': sequencer },
          }),
        );
        resolved++;
      } catch (e) {
        // Already resolved by a concurrent registration, or a newer upload's rejection: leave it.
        if (!isConditionFailed(e)) throw e;
      }
    }
    return resolved;
  }

  /**
   * Cases with a free first-read slot that the reader may take, oldest first: one page of the sparse
   * `CLAIMABLE` partition of gsi2, filtered on holders, exclusions and site (the filter only trims
   * the page; the claim's condition is what guarantees it). Only the slot attributes are read.
   */
  async function listClaimable(taker: SlotTaker,
    opts: { pageSize: number; startKey?: Record<string, unknown> },
  ): Promise<{ cases: ClaimableCase[]; next?: Record<string, unknown> }> {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p',
        FilterExpression: `#state = :open AND ${takerCondition(taker, ':me')}`,
        ProjectionExpression: CLAIMABLE_ATTRIBUTES,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':p': 'CLAIMABLE', ':me': taker.readerId, ':open': 'open', ...(taker.site !== undefined ? { ':site': taker.site } : {}) },
        Limit: opts.pageSize,
        ExclusiveStartKey: opts.startKey,
      }),
    );
    return { cases: (out.Items ?? []).map(toClaimable), next: out.LastEvaluatedKey };
  }

  /**
   * Records readers excluded from cases (declared conflicts of interest): added to each case's
   * `excluded` set, never removed by ReadRoom, so "claim next" and later bulk runs honour them.
   * Only cases that exist are touched.
   */
  async function excludeReaders(caseId: string, readerIds: readonly string[], at: string): Promise<void> {
    try {
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.case(caseId),
          UpdateExpression: 'ADD excluded :r SET updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':r': new Set(readerIds), ':at': at },
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
  }

  /** Rejected manifests still waiting for a fix, newest first (for /progress), a page at a time. */
  async function listRejections(opts: { limit: number; cursor?: string }): Promise<Page<CaseRejection>> {
    const scope = { index: 'gsi1' as const, partition: 'REJECTIONS' };
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': scope.partition },
        ScanIndexForward: false,
        Limit: opts.limit,
        ExclusiveStartKey: decodeCursor(opts.cursor, scope),
      }),
    );
    return { items: (out.Items ?? []).map((i) => recordOf<CaseRejection>(i)), cursor: encodeCursor(out.LastEvaluatedKey, scope) };
  }

  /** Many cases by id (GetItem each, a few at a time), by case id; unknown ids are left out. */
  async function getCases(caseIds: readonly string[]): Promise<Map<string, CaseRecord>> {
    const found = await mapLimited(caseIds, 16, getCase);
    return new Map(found.filter((c): c is CaseRecord => c !== undefined).map((c) => [c.caseId, c]));
  }

  /** Open cases, oldest first, at most `limit` (gsi1 `CASES`, `open#` range: an index query, not a scan). */
  async function openCases(limit: number): Promise<CaseRecord[]> {
    const items = await queryAll(
      db,
      { TableName: tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :s)', ExpressionAttributeValues: { ':p': CASES, ':s': 'open#' } },
      limit,
    );
    return items.map(fromCaseItem);
  }

  /** How many cases are in `state` (gsi1 `CASES`, COUNT). */
  function countCases(state: CaseState): Promise<number> {
    return count(db, { TableName: tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :s)', ExpressionAttributeValues: { ':p': CASES, ':s': `${state}#` } });
  }

  /**
   * Every case, page by page from gsi1 `CASES` (state, then registration time), with only what an
   * export needs of it: id, state and the facts the form sees. Each page carries `next`, the key to
   * pass back as `after` to continue after it (undefined on the last page), so an export that was
   * cut off resumes where its checkpoint says instead of starting over.
   */
  async function* casePages(
    pageSize: number,
    after?: Record<string, string>,
  ): AsyncGenerator<{ cases: Array<Pick<CaseRecord, 'caseId' | 'state' | 'eyes' | 'octPresent' | 'octEyes'>>; next?: Record<string, string> }> {
    let start: Record<string, unknown> | undefined = after;
    do {
      const out = await db.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': CASES },
          ProjectionExpression: 'pk, sk, gsi1pk, gsi1sk, caseId, #state, eyes, octPresent, octEyes',
          ExpressionAttributeNames: { '#state': 'state' },
          Limit: pageSize,
          ExclusiveStartKey: start,
        }),
      );
      const cases = (out.Items ?? []).map((i) => {
        const c = i as Partial<CaseRecord>;
        return { caseId: c.caseId!, state: c.state!, eyes: c.eyes ?? [], octPresent: c.octPresent === true, ...(c.octEyes ? { octEyes: c.octEyes } : {}) };
      });
      start = out.LastEvaluatedKey;
      if (cases.length > 0) yield { cases, ...(start ? { next: start as Record<string, string> } : {}) };
    } while (start);
  }

  /**
   * A rejected manifest and its audit event, in one transaction: a rejection is always in both
   * /progress and the audit log. `redelivered`: this upload's rejection is already there (an event
   * delivered again, or a retry after a cut), so nothing is written, not even a second audit event.
   */
  async function rejectManifest(rejection: CaseRejection, audit: AuditEvent): Promise<'recorded' | 'redelivered'> {
    try {
      await transact(db, [rejectionPutTx(tableName, rejection), auditPutTx(tableName, audit)]);
      return 'recorded';
    } catch (e) {
      if (e instanceof TransactionCancelled && e.failed('rejection')) return 'redelivered';
      throw e;
    }
  }

  return {
    getCase,
    getCases,
    caseConflictFacts,
    registerCase,
    rejectManifest,
    resolveRejections,
    listClaimable,
    excludeReaders,
    listRejections,
    openCases,
    countCases,
    casePages,
  };
}
