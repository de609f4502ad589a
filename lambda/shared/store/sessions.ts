/**
 * Streaming sessions (`SESSION#<id>` / `META`): one per streaming URL issued. The id is random and
 * opaque; it is the only thing the URL's SessionContext carries, and the fleet's case-files call
 * presents it back. The record, not the context, says which reader and case it is for.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { recordOf, type LabelledTx } from './table';

export interface SessionRecord {
  sessionId: string;
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
  createdAt: string;
  /** After this the session id opens nothing (URL validity + the fleet's maximum session length). */
  expiresAt: string;
}

export function sessionPutTx(tableName: string, s: SessionRecord): LabelledTx {
  return {
    label: 'session',
    item: { Put: { TableName: tableName, Item: { ...keys.session(s.sessionId), type: 'session', ...s }, ConditionExpression: 'attribute_not_exists(pk)' } },
  };
}

export async function getSession(db: DynamoDBDocumentClient, tableName: string, sessionId: string): Promise<SessionRecord | undefined> {
  const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.session(sessionId), ConsistentRead: true }));
  return out.Item ? recordOf<SessionRecord>(out.Item) : undefined;
}
