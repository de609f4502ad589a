/**
 * The coordinator core's ports over the reading table and the scans bucket. Every read is a
 * GetItem or a Query on the table or an index (see store/README.md); nothing scans.
 */
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ListUsersInGroupCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { Assignment, SubmittedRead } from '../../domain/assignment/plan';
import { AppError } from '../runtime/errors';
import { log } from '../runtime/log';
import { newAssignmentRef, type AssignmentRecord } from '../store/assignments';
import { auditEvent, listAudit } from '../store/audit';
import { mayTake } from '../../domain/assignment/access';
import { excludeReaders, fromCaseItem, getCase, listRejections, type CaseRecord } from '../store/cases';
import { newAssignmentTxs } from '../store/claims';
import { createExportJob, getExportJob } from '../store/exports';
import { keys } from '../store/keys';
import { decodeCursor, encodeCursor } from '../store/page';
import type { ReaderRecord } from '../store/readers';
import { TransactionCancelled, queryAll, recordOf, transact } from '../store/table';
import type { AssignCommand, AssignOutcome, AssignmentPorts, CaseForAssignment, ExportPorts, ProgressPorts, ReaderProgress } from './core';
import { mapLimited } from '../runtime/map-limited';

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

/** A member of the directory's reader group: the Cognito `sub`, `custom:site` as stored, enabled or not. */
export interface DirectoryMember {
  readerId: string;
  site?: string;
  enabled: boolean;
}

/** The role group bulk assignment draws readers from. */
export const READER_GROUP = 'reader';

/**
 * Every member of the pool's reader group (ListUsersInGroup, 60 per page). Called from inside the
 * isolated VPC through the study's `cognito-idp` interface endpoint (data stack); a failure is a
 * 503, never a run with a silently empty pool.
 */
export function cognitoReaderGroup(client: CognitoIdentityProviderClient, userPoolId: string): () => Promise<DirectoryMember[]> {
  return async () => {
    const members: DirectoryMember[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await client.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: READER_GROUP, Limit: 60, NextToken: token }));
        for (const u of out.Users ?? []) {
          const attr = (name: string) => u.Attributes?.find((a) => a.Name === name)?.Value;
          const sub = attr('sub');
          if (!sub) continue;
          const site = attr('custom:site');
          members.push({ readerId: sub, ...(site !== undefined ? { site } : {}), enabled: u.Enabled !== false });
        }
        token = out.NextToken;
      } while (token);
    } catch (e) {
      log.error('reader directory unavailable', { error: (e as Error).name });
      throw new AppError(503, 'directory_unavailable', 'The reader directory could not be read right now; nothing was assigned. Try again in a minute.');
    }
    return members;
  };
}

/** Workload counters of the profiles (0 for a reader who has none yet), by reader id. */
const toLoad = (r: ReaderRecord & { active?: boolean }) => ({
  openCount: r.openCount ?? 0,
  totalCount: (r.openCount ?? 0) + (r.submittedCount ?? 0),
  // A profile is active unless an admin switched it off.
  active: r.active !== false,
});

const forAssignment = (c: CaseRecord): CaseForAssignment => ({
  caseId: c.caseId,
  state: c.state,
  readers: c.readers,
  ...(c.site ? { site: c.site } : {}),
  ...(c.excluded?.length ? { excluded: c.excluded } : {}),
});

/**
 * `directory` lists the reader group (cognitoReaderGroup); `newRef` draws assignment refs (tests
 * pass a sequence to force a collision).
 */
export function assignmentPorts(
  db: DynamoDBDocumentClient,
  tableName: string,
  opts: { directory?: () => Promise<DirectoryMember[]>; newRef?: () => string } = {},
): AssignmentPorts {
  const newRef = opts.newRef ?? newAssignmentRef;
  return {
    listReaders: async () => {
      if (!opts.directory) throw new Error('assignmentPorts: no reader directory given');
      const [members, profiles] = await Promise.all([opts.directory(), queryAll(db, readersQuery(tableName))]);
      const loads = new Map(profiles.map((i) => recordOf<ReaderRecord>(i)).map((r) => [r.readerId, toLoad(r)]));
      return members.map((m) => ({ ...m, ...(loads.get(m.readerId) ?? { openCount: 0, totalCount: 0, active: true }) }));
    },
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
    readerHistory: async (readerId) => {
      // The reader's whole queue partition (gsi1), paged internally: not through the reader-facing
      // cursor, which would add a REF lookup per page.
      const all = (
        await queryAll(db, {
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': keys.queueEntry(readerId, '', '', '').gsi1pk },
        })
      ).map((i) => recordOf<AssignmentRecord>(i));
      const submitted: SubmittedRead[] = all
        .filter((a) => a.readNo === 1 && a.status === 'submitted' && a.submittedAt)
        .map((a) => ({ caseId: a.caseId, readerId, submittedAt: a.submittedAt! }));
      const repeats: Assignment[] = all.filter((a) => a.readNo > 1).map((a) => ({ caseId: a.caseId, readerId }));
      return { submitted, repeats };
    },
    assign: (cmd) => assign(db, tableName, cmd, newRef),
    exclude: (caseId, readerIds, at) => excludeReaders(db, tableName, caseId, readerIds, at),
  };
}

/**
 * One assignment in one transaction (the store's `newAssignmentTxs`, as "claim next" writes it; a
 * fresh random ref per attempt, so hidden repeats get their own). A lost race on the count, or a
 * ref collision, is retried on fresh data.
 */
async function assign(db: DynamoDBDocumentClient, tableName: string, cmd: AssignCommand, newRef: () => string): Promise<AssignOutcome> {
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
      ref: newRef(),
    };
    const taker = { readerId: cmd.readerId, site: cmd.site };
    let slot: Parameters<typeof newAssignmentTxs>[2]['slot'];
    if (cmd.readNo === 1) {
      const c = await getCase(db, tableName, cmd.caseId);
      if (!c || c.state !== 'open' || c.assignedCount >= cmd.readsPerCase) return 'case_full';
      if (c.readers.includes(cmd.readerId)) return 'exists';
      if (!mayTake(c, taker)) return 'excluded';
      slot = { case: c, taker, k: { slots: cmd.readsPerCase, readsPerCase: cmd.studyReadsPerCase } };
    }
    const audit = auditEvent({ at: cmd.at, actor: cmd.actor, action: 'case_assigned', caseId: cmd.caseId, detail: { readerId: cmd.readerId } });
    try {
      await transact(db, newAssignmentTxs(tableName, record, { slot, maxOpenPerReader: cmd.maxOpenPerReader, audit }));
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
    rejections: async (opts) => {
      const page = await listRejections(db, tableName, opts);
      return { items: page.items.map((r) => ({ caseId: r.caseId, at: r.at, reasons: r.reasons })), ...(page.cursor ? { cursor: page.cursor } : {}) };
    },
  };
}

export const auditList = (db: DynamoDBDocumentClient, tableName: string) => (day: string, opts: { limit: number; cursor?: string }) =>
  listAudit(db, tableName, day, opts);

export function exportPorts(db: DynamoDBDocumentClient, s3: S3Client, tableName: string, bucket: string): ExportPorts {
  return {
    create: (job, audit) => createExportJob(db, tableName, job, audit),
    get: (exportId) => getExportJob(db, tableName, exportId),
    presign: (key, seconds) => presignDownload(s3, bucket, key, seconds),
  };
}

/** Presigned GET valid for `seconds` (the route caps it at 15 minutes), downloaded as an attachment. */
export function presignDownload(s3: S3Client, bucket: string, key: string, seconds: number): Promise<string> {
  const filename = key.split('/').pop()!;
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentDisposition: `attachment; filename="${filename}"` }), {
    expiresIn: seconds,
  });
}
