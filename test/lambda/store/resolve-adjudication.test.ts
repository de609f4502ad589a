/**
 * The store's mapping of a cancelled resolution transaction to the API's conflict codes, with a fake
 * document client (moto cannot produce a TransactionConflict: it does not isolate transactions).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../../lambda/runtime/errors';
import { readingStore } from '../../../lambda/store';
import type { Resolution } from '../../../lambda/store/adjudications';

const AT = '2026-02-01T10:00:00.000Z';

const cmd: Resolution = {
  task: {
    caseId: 'C1',
    status: 'open',
    priority: 'normal',
    reasons: [],
    reads: { A: { readerId: 'r1', readNo: 1 }, B: { readerId: 'r2', readNo: 1 } },
    readerIds: ['r1', 'r2'],
    openedAt: AT,
  },
  final: { caseId: 'C1', provenance: 'adjudicated', value: { eyes: {}, participant: {} }, formVersion: '1.0.0', decidedBy: 'adj', decidedAt: AT, reasonCode: 'read_a_correct', picks: [] },
  readVersions: { A: 1, B: 1 },
  registeredAt: AT,
};

/** A client whose TransactWrite is cancelled with `code` on the reads' ConditionChecks (and nothing else). */
function cancelledOnReads(code: string): DynamoDBDocumentClient {
  return {
    send: async (command: { input: { TransactItems: Array<Record<string, unknown>> } }) => {
      const items = command.input.TransactItems;
      throw Object.assign(new Error('Transaction cancelled'), {
        name: 'TransactionCanceledException',
        CancellationReasons: items.map((i) => ({ Code: 'ConditionCheck' in i ? code : 'None' })),
      });
    },
  } as unknown as DynamoDBDocumentClient;
}

const resolveWith = (code: string) => readingStore(cancelledOnReads(code), 'table').resolveAdjudication(cmd).catch((e: unknown) => e);

test('a read whose condition failed (amended meanwhile) is 409 read_changed', async () => {
  const e = await resolveWith('ConditionalCheckFailed');
  expect(e).toBeInstanceOf(ConflictError);
  expect(e).toMatchObject({ status: 409, code: 'read_changed' });
});

test('a TransactionConflict on a read (a concurrent write, nothing changed yet) is the retryable 409 conflict, not read_changed', async () => {
  const e = await resolveWith('TransactionConflict');
  expect(e).toBeInstanceOf(ConflictError);
  expect(e).toMatchObject({ status: 409, code: 'conflict' });
});
