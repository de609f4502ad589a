/**
 * Streaming sessions (`SESSION#<hash>` / `META`): one per streaming URL issued. The session id is
 * random and opaque; it is the only thing the URL's SessionContext carries, and the fleet's
 * case-files call presents it back. The record, not the context, says which reader and case it is
 * for.
 *
 * The id is a bearer secret (whoever holds it, on the right instance, gets the case files), so it
 * is stored, audited and logged only as `sessionHash` (SHA-256, base64url): the table, the audit
 * log coordinators read, and the function logs never hold a live id.
 */
import { createHash } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { auditPutTx, type AuditEvent } from './audit';
import { recordOf, transact, type LabelledTx, type Table } from './table';

/** What a session id is stored and logged as: SHA-256 of the id, base64url (43 characters). */
export function sessionHash(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('base64url');
}

export interface SessionRecord {
  /** `sessionHash` of the id; the id itself is never stored. */
  sessionHash: string;
  readerId: string;
  /** The AppStream UserId the URL was issued for (derived from the reader's sub). */
  appStreamUserId: string;
  caseId: string;
  /** The reader's assignment (1, 2+ for a hidden repeat); 0 for an adjudication session. */
  readNo: number;
  /** The assignment's ref, for read sessions (what the viewer may show instead of the case id). */
  ref?: string;
  /** `adjudication`: an adjudicator viewing the case of an open task (absent on older records: `read`). */
  purpose?: 'read' | 'adjudication';
  /** An adjudication session: the adjudicator's site when it was issued (case-files re-applies the same-site rule). */
  site?: string;
  createdAt: string;
  /** After this the session id opens nothing (URL validity + the fleet's maximum session length). */
  expiresAt: string;
  /**
   * A read session: when its per-session copies of the case files (`views/<token>/…`, see
   * ../case-files/README.md) were made; later case-files calls presign them without copying again.
   */
  viewAt?: string;
}

export function sessionPutTx(tableName: string, s: SessionRecord): LabelledTx {
  return {
    label: 'session',
    item: { Put: { TableName: tableName, Item: { ...keys.session(s.sessionHash), type: 'session', ...s }, ConditionExpression: 'attribute_not_exists(pk)' } },
  };
}

/** Streaming sessions in the table. */
export function sessionStore({ db, tableName }: Table) {
  /** The session of an id presented by a streaming instance (looked up by its hash). */
  async function getSession(sessionId: string): Promise<SessionRecord | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.session(sessionHash(sessionId)), ConsistentRead: true }));
    return out.Item ? recordOf<SessionRecord>(out.Item) : undefined;
  }

  /** A new session and its `session_issued` audit event, in one transaction. */
  async function recordSession(session: SessionRecord, audit: AuditEvent): Promise<void> {
    await transact(db, [sessionPutTx(tableName, session), auditPutTx(tableName, audit)]);
  }

  /** Records that the session's view copies exist (only on an existing session, first time wins). */
  async function markSessionView(sessionId: string, at: string): Promise<void> {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.session(sessionHash(sessionId)),
        UpdateExpression: 'SET viewAt = if_not_exists(viewAt, :at)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  return { getSession, recordSession, markSessionView };
}
