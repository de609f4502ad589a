/**
 * The coordinator core's ports over the reading table and the scans bucket. Every read is a
 * GetItem or a Query on the table or an index (see store/README.md); nothing scans.
 */
import { BatchGetCommand, QueryCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Assignment, ReaderLoad, SubmittedRead } from '../shared/domain/assignment';
import { assignmentPutTxs, newAssignmentRef, queuePage, type AssignmentRecord } from '../shared/store/assignments';
import { auditEvent, auditPutTx, listAudit, putAudit } from '../shared/store/audit';
import { caseFacts, fromCaseItem, getCase, listRejections, takeSlotTx, type CaseRecord } from '../shared/store/cases';
import { createExportJob, ensurePseudonyms, finishExportJob, getExportJob } from '../shared/store/exports';
import { fromFinalItem } from '../shared/store/finals';
import { keys } from '../shared/store/keys';
import { decodeCursor, encodeCursor } from '../shared/store/page';
import { openAssignmentTx, type ReaderRecord } from '../shared/store/readers';
import { listReads } from '../shared/store/reads';
import { TransactionCancelled, recordOf, transact, type LabelledTx } from '../shared/store/table';
import type { AssignCommand, AssignOutcome, AssignmentPorts, CaseForAssignment, ExportPorts, ProgressPorts, ReaderProgress } from './core';
import type { ExportSource, Pseudonymiser } from './export';
import { presignDownload } from './s3-sink';

/** Every page of a query (for the small partitions this is used on, or with a `stop` bound). */
async function queryAll(db: DynamoDBDocumentClient, input: QueryCommandInput, stop = Infinity): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start, ...(stop < Infinity ? { Limit: Math.min(1000, stop - items.length) } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start && items.length < stop);
  return items;
}

/** COUNT over a key range, page by page (DynamoDB counts at most 1 MB of items per call). */
async function count(db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<number> {
  let n = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, Select: 'COUNT', ExclusiveStartKey: start }));
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return n;
}

const readersQuery = (tableName: string): QueryCommandInput => ({
  TableName: tableName,
  IndexName: 'gsi2',
  KeyConditionExpression: 'gsi2pk = :p',
  ExpressionAttributeValues: { ':p': keys.readerIndex('').gsi2pk },
});

const toLoad = (r: ReaderRecord & { active?: boolean }): ReaderLoad => ({
  readerId: r.readerId,
  site: r.site,
  openCount: r.openCount ?? 0,
  totalCount: (r.openCount ?? 0) + (r.submittedCount ?? 0),
  // A profile is active unless an admin switched it off.
  active: r.active !== false,
});

const forAssignment = (c: CaseRecord & { site?: string }): CaseForAssignment => ({ caseId: c.caseId, state: c.state, ...(c.site ? { site: c.site } : {}) });

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

export function assignmentPorts(db: DynamoDBDocumentClient, tableName: string): AssignmentPorts {
  return {
    listReaders: async () => (await queryAll(db, readersQuery(tableName))).map((i) => toLoad(recordOf<ReaderRecord>(i))),
    openCases: async (limit) =>
      (
        await queryAll(
          db,
          {
            TableName: tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :s)',
            ExpressionAttributeValues: { ':p': 'CASES', ':s': 'open#' },
          },
          limit,
        )
      ).map((i) => forAssignment(fromCaseItem(i))),
    getCases: async (caseIds) => {
      const found = await mapLimited(caseIds, 16, (id) => getCase(db, tableName, id));
      return new Map(found.filter((c): c is CaseRecord => c !== undefined).map((c) => [c.caseId, forAssignment(c)]));
    },
    caseAssignments: async (caseIds) =>
      (
        await mapLimited(caseIds, 16, (caseId) =>
          queryAll(db, {
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)',
            ExpressionAttributeValues: { ':pk': keys.case(caseId).pk, ':s': 'ASSIGN#' },
            ConsistentRead: true,
          }),
        )
      )
        .flat()
        .map((i) => recordOf<AssignmentRecord>(i))
        .map((a) => ({ caseId: a.caseId, readerId: a.readerId, readNo: a.readNo })),
    readerHistory: async (readerId) => {
      const all: AssignmentRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await queuePage(db, tableName, readerId, { limit: 500, cursor });
        all.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
      const submitted: SubmittedRead[] = all
        .filter((a) => a.readNo === 1 && a.status === 'submitted' && a.submittedAt)
        .map((a) => ({ caseId: a.caseId, readerId, submittedAt: a.submittedAt! }));
      const repeats: Assignment[] = all.filter((a) => a.readNo > 1).map((a) => ({ caseId: a.caseId, readerId }));
      return { submitted, repeats };
    },
    assign: (cmd) => assign(db, tableName, cmd),
  };
}

/**
 * One assignment in one transaction (at most 5 items): the case slot (first reads only; optimistic
 * on the count, never past k, never a reader twice), the assignment item (never twice) and its
 * `REF#<ref>` item (a fresh random ref per attempt, so hidden repeats get their own), the reader's
 * open count (never past the cap) and the audit event. A lost race on the count, or a ref collision,
 * is retried on fresh data.
 */
async function assign(db: DynamoDBDocumentClient, tableName: string, cmd: AssignCommand): Promise<AssignOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const record: AssignmentRecord = {
      caseId: cmd.caseId,
      readerId: cmd.readerId,
      readNo: cmd.readNo,
      status: 'pending',
      assignedAt: cmd.at,
      updatedAt: cmd.at,
      assignedBy: cmd.actor,
      repeat: cmd.readNo > 1,
      ref: newAssignmentRef(),
    };
    const parts: LabelledTx[] = [];
    if (cmd.readNo === 1) {
      const c = await getCase(db, tableName, cmd.caseId);
      if (!c || c.state !== 'open' || c.assignedCount >= cmd.readsPerCase) return 'case_full';
      if (c.readers.includes(cmd.readerId)) return 'exists';
      parts.push(takeSlotTx(tableName, c, cmd.readerId, cmd.readsPerCase, cmd.at));
    }
    parts.push(
      ...assignmentPutTxs(tableName, record),
      openAssignmentTx(tableName, cmd.readerId, cmd.maxOpenPerReader, cmd.at),
      auditPutTx(tableName, auditEvent({ at: cmd.at, actor: cmd.actor, action: 'case_assigned', caseId: cmd.caseId, detail: { readerId: cmd.readerId } })),
    );
    try {
      await transact(db, parts);
      return 'assigned';
    } catch (e) {
      if (!(e instanceof TransactionCancelled)) throw e;
      if (e.failed('assignment')) return 'exists';
      if (e.failed('reader')) return 'reader_at_cap';
      // 'case' failed (the count moved), the ref collided (a new one is drawn) or a concurrent
      // transaction got in the way: back off a little, look again.
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt * Math.random()));
    }
  }
  return 'case_full';
}

export function progressPorts(db: DynamoDBDocumentClient, tableName: string): ProgressPorts {
  return {
    countCases: (state) =>
      count(db, {
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :s)',
        ExpressionAttributeValues: { ':p': 'CASES', ':s': `${state}#` },
      }),
    countAdjudications: (status) =>
      count(db, { TableName: tableName, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :p', ExpressionAttributeValues: { ':p': `ADJ#${status}` } }),
    readers: async ({ limit, cursor }) => {
      const scope = { index: 'gsi2' as const, partition: keys.readerIndex('').gsi2pk };
      const out = await db.send(new QueryCommand({ ...readersQuery(tableName), Limit: limit, ExclusiveStartKey: decodeCursor(cursor, scope) }));
      const items: ReaderProgress[] = (out.Items ?? []).map((i) => {
        const r = recordOf<ReaderRecord>(i);
        return { readerId: r.readerId, ...(r.email ? { email: r.email } : {}), ...(r.site ? { site: r.site } : {}), openCount: r.openCount ?? 0, submittedCount: r.submittedCount ?? 0 };
      });
      return { items, cursor: encodeCursor(out.LastEvaluatedKey, scope) };
    },
    rejections: async (limit) => (await listRejections(db, tableName, { limit })).items.map((r) => ({ caseId: r.caseId, at: r.at, reasons: r.reasons })),
  };
}

export const auditList = (db: DynamoDBDocumentClient, tableName: string) => (day: string, opts: { limit: number; cursor?: string }) =>
  listAudit(db, tableName, day, opts);

export function exportPorts(db: DynamoDBDocumentClient, s3: S3Client, tableName: string, bucket: string): ExportPorts {
  return {
    create: (job) => createExportJob(db, tableName, job),
    finish: (exportId, outcome) => finishExportJob(db, tableName, exportId, outcome),
    get: (exportId) => getExportJob(db, tableName, exportId),
    presign: (key, seconds) => presignDownload(s3, bucket, key, seconds),
    audit: (e) => putAudit(db, tableName, auditEvent({ at: e.at, actor: e.actor, action: e.action, detail: { exportId: e.exportId } })),
  };
}

/** BatchGetItem of up to 100 keys, retrying what DynamoDB left unprocessed (with backoff). */
async function batchGet(db: DynamoDBDocumentClient, tableName: string, keyList: Record<string, string>[]): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keyList.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = keyList.slice(i, i + 100);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out: BatchGetCommandOutput = await db.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
      items.push(...(out.Responses?.[tableName] ?? []));
      pending = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}

/**
 * Cases page by page from gsi1 `CASES` (state, then registration time; only the fields the export
 * uses), then per page: one BatchGetItem for the finals and one Query per case for its reads.
 */
export function dynamoExportSource(db: DynamoDBDocumentClient, tableName: string, opts: { pageSize?: number; concurrency?: number } = {}): ExportSource {
  return {
    async *cases() {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await db.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': 'CASES' },
            ProjectionExpression: 'pk, sk, gsi1pk, gsi1sk, caseId, #state, eyes, octPresent',
            ExpressionAttributeNames: { '#state': 'state' },
            Limit: opts.pageSize ?? 100,
            ExclusiveStartKey: start,
          }),
        );
        const page = (out.Items ?? []).map((i) => {
          const c = i as Pick<CaseRecord, 'caseId' | 'state' | 'eyes' | 'octPresent'>;
          return { caseId: c.caseId, state: c.state, facts: caseFacts({ eyes: c.eyes ?? [], octPresent: c.octPresent === true }) };
        });
        if (page.length > 0) yield page;
        start = out.LastEvaluatedKey;
      } while (start);
    },
    details: async (caseIds) => {
      const [finals, reads] = await Promise.all([
        batchGet(db, tableName, caseIds.map((id) => keys.final(id))),
        mapLimited(caseIds, opts.concurrency ?? 16, (id) => listReads(db, tableName, id)),
      ]);
      const finalOf = new Map(finals.map((f) => [String(f.caseId), fromFinalItem(f)]));
      return caseIds.map((caseId, i) => ({
        reads: reads[i]
          .filter((r) => r.status === 'submitted')
          .map((r) => ({ readerId: r.readerId, readNo: r.readNo, submittedAt: r.submittedAt, answers: r.answers })),
        ...(finalOf.has(caseId) ? { final: finalOf.get(caseId)! } : {}),
      }));
    },
  };
}

export function dynamoPseudonyms(db: DynamoDBDocumentClient, tableName: string, now: () => string): Pseudonymiser {
  return { codes: (ids) => ensurePseudonyms(db, tableName, ids, now()) };
}
