/**
 * Assignments (`CASE#<id>` / `ASSIGN#<reader>#<readNo>`), listed per reader through gsi1
 * `QUEUE#<reader>` / `<status>#<assignedAt>#<ref>`.
 *
 * readNo 1 is a reader's first (independent) read of a case and takes one of the case's k slots;
 * 2+ are hidden repeats (intra-reader agreement). `repeat` stays on the server: queue entries and
 * every reader-facing response leave readNo and repeat out, so a repeat looks like any assignment.
 *
 * Readers never see case ids either: each assignment has a random `ref` (`REF#<ref>` / `META` maps
 * it back to reader, case and readNo), and the reader routes take and return only that. Otherwise a
 * hidden repeat would show the reader a case id they already read.
 */
import { randomBytes } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { decodeCursor, encodeCursor, invalidCursor, type Page } from './page';
import { queryAll, recordOf, type LabelledTx, type Table } from './table';

/** `withdrawn`: a coordinator took it back (withdrawals.ts); it has left the reader's queue for good. */
export type AssignmentStatus = 'pending' | 'in_progress' | 'submitted' | 'withdrawn';

export interface AssignmentRecord {
  caseId: string;
  readerId: string;
  readNo: number;
  status: AssignmentStatus;
  assignedAt: string;
  updatedAt: string;
  submittedAt?: string;
  /** 'self' for "claim next", otherwise the coordinator's sub or 'system'. */
  assignedBy: string;
  /** Server-side only. */
  repeat: boolean;
  /** The opaque reference readers know this assignment by (REF_PATTERN). */
  ref: string;
  /** Set when a coordinator withdrew it (status `withdrawn`). */
  withdrawnAt?: string;
  withdrawnBy?: string;
  withdrawReason?: string;
}

/** The `REF#<ref>` item: what a reader-supplied ref stands for. */
export interface AssignmentRef {
  ref: string;
  readerId: string;
  caseId: string;
  readNo: number;
}

/** Lowercase RFC 4648 base32: no ambiguous 0/1/8/9, safe in paths and file names. */
const REF_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const REF_LENGTH = 12;
export const REF_PATTERN = /^[a-z2-7]{12}$/;

/**
 * A new assignment ref: 12 base32 characters = 60 random bits. Each byte's low 5 bits are uniform
 * (256 is a multiple of 32). Collisions are guarded by `attribute_not_exists` on the REF item (the
 * assignment's transaction fails and is retried with a new ref), and with a million assignments the
 * chance of even one is about 1e12 / 2^61 ≈ 4e-7.
 */
export function newAssignmentRef(): string {
  const bytes = randomBytes(REF_LENGTH);
  let out = '';
  for (const b of bytes) out += REF_ALPHABET[b & 31];
  return out;
}

/** What a reader sees of an assignment: its ref, never the case id, readNo or repeat flag. */
export interface QueueEntry {
  ref: string;
  status: AssignmentStatus;
  assignedAt: string;
  updatedAt: string;
  submittedAt?: string;
}

export const toQueueEntry = (a: AssignmentRecord): QueueEntry => ({
  ref: a.ref,
  status: a.status,
  assignedAt: a.assignedAt,
  updatedAt: a.updatedAt,
  ...(a.submittedAt ? { submittedAt: a.submittedAt } : {}),
});

const fromItem = (item: Record<string, unknown>) => recordOf<AssignmentRecord>(item);

/**
 * Creates an assignment and its `REF#<ref>` item (two transaction items, labelled `assignment` and
 * `ref`): `assignment` fails if the reader already holds this (case, readNo), `ref` if the random
 * ref is taken (retry with a new one). Callers count both against TransactWriteItems' 100 items.
 */
export function assignmentPutTxs(tableName: string, a: AssignmentRecord): [LabelledTx, LabelledTx] {
  const ref: AssignmentRef = { ref: a.ref, readerId: a.readerId, caseId: a.caseId, readNo: a.readNo };
  return [
    {
      label: 'assignment',
      item: {
        Put: {
          TableName: tableName,
          Item: {
            ...keys.assignment(a.caseId, a.readerId, a.readNo),
            ...keys.queueEntry(a.readerId, a.status, a.assignedAt, a.ref),
            type: 'assignment',
            ...a,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    },
    refPutTx(tableName, ref),
  ];
}

/** The `REF#<ref>` item alone (label `ref`): for the backfill; new assignments use assignmentPutTxs. */
export function refPutTx(tableName: string, r: AssignmentRef): LabelledTx {
  return {
    label: 'ref',
    item: { Put: { TableName: tableName, Item: { ...keys.assignmentRef(r.ref), type: 'assignment_ref', ...r }, ConditionExpression: 'attribute_not_exists(pk)' } },
  };
}

/**
 * Moves an assignment to `to`, only from `from` (so two concurrent first saves or submits move it
 * once), keeping its place in the queue's time order.
 */
export function assignmentStatusTx(tableName: string, a: AssignmentRecord, from: AssignmentStatus, to: AssignmentStatus, at: string): LabelledTx {
  return {
    label: 'assignment',
    item: {
      Update: {
        TableName: tableName,
        Key: keys.assignment(a.caseId, a.readerId, a.readNo),
        UpdateExpression: `SET #status = :to, gsi1sk = :gsk, updatedAt = :at${to === 'submitted' ? ', submittedAt = :at' : ''}`,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': to, ':from': from, ':gsk': keys.queueEntry(a.readerId, to, a.assignedAt, a.ref).gsi1sk, ':at': at },
      },
    },
  };
}

/** Assignments and their refs in the table. */
export function assignmentStore({ db, tableName }: Table) {
  /** A reader's assignments on one case (first read and any repeats), readNo ascending. */
  async function assignmentsOf(caseId: string, readerId: string): Promise<AssignmentRecord[]> {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.case(caseId).pk, ':prefix': `ASSIGN#${readerId}#` },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(fromItem);
  }

  /** Every assignment of a case (all readers, first reads and repeats, withdrawn ones too): one Query of its partition. */
  async function caseAssignments(caseId: string): Promise<AssignmentRecord[]> {
    const items = await queryAll(db, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.case(caseId).pk, ':prefix': 'ASSIGN#' },
      ConsistentRead: true,
    });
    return items.map(fromItem);
  }

  /** What `ref` stands for, or undefined. Callers must still check `readerId` is the caller. */
  async function getAssignmentRef(ref: string): Promise<AssignmentRef | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.assignmentRef(ref), ConsistentRead: true }));
    return out.Item ? recordOf<AssignmentRef>(out.Item) : undefined;
  }

  /** Exactly one assignment (case, reader, readNo). */
  async function getAssignment(caseId: string, readerId: string, readNo: number): Promise<AssignmentRecord | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.assignment(caseId, readerId, readNo), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /**
   * One page of a reader's queue (in progress, then pending, then submitted; oldest first within each).
   *
   * The cursor carries only the index key (`QUEUE#<reader>`, `<status>#<at>#<ref>`): the table key of
   * the last item (`CASE#<caseId>`, `ASSIGN#…#<readNo>`) would hand the reader the case id and readNo.
   * DynamoDB needs that table key in ExclusiveStartKey, so it is rebuilt from the ref's REF item
   * (one GetItem per page after the first); a cursor whose ref is not this reader's is a 400.
   */
  async function queuePage(readerId: string,
    opts: { limit: number; cursor?: string; status?: AssignmentStatus },
  ): Promise<Page<AssignmentRecord>> {
    const scope = { index: 'gsi1' as const, partition: `QUEUE#${readerId}`, indexKeyOnly: true };
    const start = decodeCursor(opts.cursor, scope);
    // A cursor from another status's listing lies outside this key condition, which DynamoDB would
    // refuse with a ValidationException (a 500): it is the client's mistake, so a 400.
    if (start && opts.status && !start.gsi1sk.startsWith(`${opts.status}#`)) throw invalidCursor();
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: opts.status ? 'gsi1pk = :p AND begins_with(gsi1sk, :s)' : 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': scope.partition, ...(opts.status ? { ':s': `${opts.status}#` } : {}) },
        Limit: opts.limit,
        ExclusiveStartKey: start ? await queueStartKey(readerId, start) : undefined,
      }),
    );
    return { items: (out.Items ?? []).map(fromItem), cursor: encodeCursor(out.LastEvaluatedKey, scope) };
  }

  /** The full ExclusiveStartKey for a queue cursor's index key, or 400 (the cursor is not ours). */
  async function queueStartKey(readerId: string, start: Record<string, string>): Promise<Record<string, string>> {
    const ref = start.gsi1sk.split('#').at(-1) ?? '';
    const found = REF_PATTERN.test(ref) ? await getAssignmentRef(ref) : undefined;
    if (!found || found.readerId !== readerId) throw invalidCursor();
    return { ...start, ...keys.assignment(found.caseId, found.readerId, found.readNo) };
  }

  /**
   * The reader's oldest unfinished assignment: one in progress first, else the oldest pending. One
   * query: queue sort keys start with the status, and 'in_progress' < 'pending' < 'submitted'.
   */
  async function firstOpenAssignment(readerId: string): Promise<AssignmentRecord | undefined> {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p AND gsi1sk < :submitted',
        ExpressionAttributeValues: { ':p': `QUEUE#${readerId}`, ':submitted': 'submitted#' },
        Limit: 1,
      }),
    );
    return out.Items?.[0] ? fromItem(out.Items[0]) : undefined;
  }

  /**
   * Every assignment of a reader (their whole queue partition on gsi1, paged internally): for bulk
   * assignment's hidden repeats, not through the reader-facing cursor, which would add a REF lookup
   * per page.
   */
  async function readerAssignments(readerId: string): Promise<AssignmentRecord[]> {
    const items = await queryAll(db, { TableName: tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': keys.queueEntry(readerId, '', '', '').gsi1pk } });
    return items.map(fromItem);
  }

  return { assignmentsOf, caseAssignments, getAssignmentRef, getAssignment, queuePage, firstOpenAssignment, readerAssignments };
}
