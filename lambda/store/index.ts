/**
 * The reading table: the only code that knows its keys and expressions (access patterns:
 * ./README.md). `readingStore(db, tableName)` is one object whose methods are the table's reads and
 * conditional writes; each function's core declares the slice it uses as `Pick<ReadingStore, …>`,
 * so a core test passes a plain object with just those methods. Each module owns one entity and
 * also exports the transaction-part builders (`…Tx`) that the store's methods compose into one
 * TransactWrite where an invariant spans items (and that test fixtures use to arrange state).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { adjudicationStore } from './adjudications';
import { assignmentStore } from './assignments';
import { auditStore } from './audit';
import { backfillStore } from './backfill-refs';
import { caseStore } from './cases';
import { claimStore } from './claims';
import { exportStore } from './exports';
import { finalStore } from './finals';
import { idempotencyStore } from './idempotency';
import { readerStore } from './readers';
import { readStore } from './reads';
import { sessionStore } from './sessions';
import { submissionStore } from './submissions';
import { withdrawalStore } from './withdrawals';

export function readingStore(db: DynamoDBDocumentClient, tableName: string) {
  const table = { db, tableName };
  return {
    ...caseStore(table),
    ...assignmentStore(table),
    ...claimStore(table),
    ...readerStore(table),
    ...readStore(table),
    ...submissionStore(table),
    ...sessionStore(table),
    ...adjudicationStore(table),
    ...finalStore(table),
    ...idempotencyStore(table),
    ...auditStore(table),
    ...exportStore(table),
    ...backfillStore(table),
    ...withdrawalStore(table),
  };
}

/** Every read and write of the reading table, as methods. */
export type ReadingStore = ReturnType<typeof readingStore>;

export * from './keys';
export * from './page';
export * from './table';
export * from './cases';
export * from './assignments';
export * from './backfill-refs';
export * from './readers';
export * from './reads';
export * from './idempotency';
export * from './sessions';
export * from './audit';
export * from './claims';
export * from './submissions';
export * from './outcomes';
export * from './adjudications';
export * from './finals';
export * from './exports';
export * from './withdrawals';
