/**
 * Audit events (`AUDIT#<yyyy-mm-dd>` / `<at>#<id>`): who opened, saved, submitted, adjudicated or
 * exported what. Ids and counts only: never answers, file names or anything about a participant.
 * Written in the same transaction as the action they record wherever there is one.
 */
import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { decodeCursor, encodeCursor, type Page } from './page';
import { recordOf, type LabelledTx, type Table } from './table';

/** Actions recorded by the reading workflow (other functions may add their own strings). */
export type AuditAction =
  | 'case_registered'
  | 'manifest_rejected'
  | 'case_claimed'
  | 'case_assigned'
  | 'assignment_withdrawn'
  | 'session_issued'
  | 'case_files_issued'
  | 'case_files_denied'
  | 'read_submitted'
  | 'read_amended'
  | 'adjudication_opened'
  | 'adjudication_resolved'
  | 'final_recorded'
  | 'export_requested'
  | 'export_completed'
  | 'export_failed';

export interface AuditEvent {
  at: string;
  id: string;
  /** Cognito sub, or 'system'. */
  actor: string;
  action: AuditAction;
  caseId?: string;
  /** The session id's hash (sessions.ts), never the id: coordinators read this log. */
  sessionHash?: string;
  /** Ids and counts only. */
  detail?: Record<string, string | number | boolean>;
}

export function auditEvent(e: Omit<AuditEvent, 'id'>): AuditEvent {
  return { ...e, id: randomBytes(8).toString('hex') };
}

const itemOf = (e: AuditEvent) => ({ ...keys.audit(e.at.slice(0, 10), e.at, e.id), type: 'audit', ...e });

export function auditPutTx(tableName: string, e: AuditEvent): LabelledTx {
  return { label: `audit:${e.action}`, item: { Put: { TableName: tableName, Item: itemOf(e) } } };
}

/** The audit log in the table. */
export function auditStore({ db, tableName }: Table) {
  async function putAudit(e: AuditEvent): Promise<void> {
    await db.send(new PutCommand({ TableName: tableName, Item: itemOf(e) }));
  }

  /** One day's events, oldest first. `day` is yyyy-mm-dd (UTC). */
  async function listAudit(day: string, opts: { limit: number; cursor?: string }): Promise<Page<AuditEvent>> {
    const scope = { partition: `AUDIT#${day}` };
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': scope.partition },
        Limit: opts.limit,
        ExclusiveStartKey: decodeCursor(opts.cursor, scope),
      }),
    );
    return { items: (out.Items ?? []).map((i) => recordOf<AuditEvent>(i)), cursor: encodeCursor(out.LastEvaluatedKey, scope) };
  }

  return { putAudit, listAudit };
}
