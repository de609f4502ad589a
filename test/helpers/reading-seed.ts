/**
 * Arranges reading state in the emulated table through the store's own write functions (the same
 * items and conditions the API writes), for tests of the adjudication and coordinator routes.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NormalisedAnswers } from '../../domain/answers';
import { assignmentPutTxs, newAssignmentRef } from '../../lambda/store/assignments';
import { caseFacts, type CaseState } from '../../domain/case';
import { countSubmissionTx, takeSlotTx } from '../../lambda/store/cases';
import { keys } from '../../lambda/store/keys';
import { outcomeTx, stateAfter } from '../../lambda/store/outcomes';
import { openAssignmentTx, submitAssignmentTx } from '../../lambda/store/readers';
import { historyPutTx, readPutTx } from '../../lambda/store/reads';
import { transact } from '../../lambda/store/table';
import { decideCaseOutcome } from '../../domain/rules/case-outcome';
import type { Harness } from './api-harness';
import { CONFIG } from './grades';
import { seedCase as seedFixtureCase } from './reading-fixtures';

export type SeedTarget = Pick<Harness, 'ddb' | 'tableName' | 'store' | 'readingConfig'>;

/** Registers a case (reading-fixtures' `seedCase`), optionally with the participant's site. */
export async function seedCase(t: SeedTarget, caseId: string, site?: string): Promise<void> {
  await seedFixtureCase(t as Harness, caseId);
  if (site) {
    await t.ddb.send(new UpdateCommand({ TableName: t.tableName, Key: keys.case(caseId), UpdateExpression: 'SET site = :s', ExpressionAttributeValues: { ':s': site } }));
  }
}

/** A reader's submitted read of a case: slot (first reads), assignment + ref, read + history, counters. Returns the ref. */
export async function seedSubmittedRead(
  t: SeedTarget,
  caseId: string,
  readerId: string,
  answers: NormalisedAnswers,
  opts: { readNo?: number; at?: string; readsPerCase?: number } = {},
): Promise<string> {
  const readNo = opts.readNo ?? 1;
  const at = opts.at ?? '2026-01-02T00:00:00.000Z';
  const c = (await t.store.getCase(caseId))!;
  const ref = newAssignmentRef();
  const read = { caseId, readerId, readNo, version: 1, status: 'submitted' as const, answers, formId: CONFIG.form.formId, formVersion: CONFIG.form.formVersion, createdAt: at, updatedAt: at, submittedAt: at };
  await transact(t.ddb, [
    ...(readNo === 1 ? [takeSlotTx(t.tableName, c, { readerId }, { slots: opts.readsPerCase ?? CONFIG.assignment.readsPerCase, readsPerCase: opts.readsPerCase ?? CONFIG.assignment.readsPerCase }, at)] : []),
    ...assignmentPutTxs(t.tableName, { caseId, readerId, readNo, status: 'submitted', assignedAt: at, updatedAt: at, submittedAt: at, assignedBy: 'seed', repeat: readNo > 1, ref }),
    openAssignmentTx(t.tableName, readerId, 1000, at),
  ]);
  await transact(t.ddb, [readPutTx(t.tableName, read), historyPutTx(t.tableName, read, 'submit'), submitAssignmentTx(t.tableName, readerId, at)]);
  return ref;
}

type SeedRead = { readerId: string; answers: NormalisedAnswers };

/**
 * A case with two (or more: k is then the number of reads) submitted first reads and what the k-th
 * submit leaves behind: an open adjudication task (discordant) or a concordant final, and the
 * case's state moved on.
 */
export async function seedReadCase(t: SeedTarget, caseId: string, reads: [SeedRead, SeedRead, ...SeedRead[]], at = '2026-01-03T00:00:00.000Z'): Promise<CaseState> {
  await seedCase(t, caseId);
  const readsPerCase = Math.max(CONFIG.assignment.readsPerCase, reads.length);
  for (const r of reads) await seedSubmittedRead(t, caseId, r.readerId, r.answers, { readsPerCase });
  const c = (await t.store.getCase(caseId))!;
  const outcome = decideCaseOutcome(CONFIG, caseId, caseFacts(c), reads.map((r) => ({ ...r, readNo: 1 })));
  // The store's counter already counts every submission; close the case the way the k-th submit does.
  const seen = reads.length - 1;
  await t.ddb.send(new UpdateCommand({ TableName: t.tableName, Key: keys.case(caseId), UpdateExpression: 'SET submittedCount = :n', ExpressionAttributeValues: { ':n': seen } }));
  await transact(t.ddb, [countSubmissionTx(t.tableName, { ...c, submittedCount: seen }, at, stateAfter(outcome)), ...outcomeTx(t.tableName, caseId, outcome, CONFIG.form.formVersion, at)]);
  return stateAfter(outcome);
}

/**
 * A document client that runs `interloper` once, just before its first TransactWrite: a lost race
 * replayed deterministically. (moto serves requests on threads without isolating transactions
 * from each other, so truly parallel writes cannot show DynamoDB's guarantees against it.)
 */
export function losingRace<T extends object>(db: T, interloper: () => Promise<unknown>): T & { raced(): boolean } {
  let done = false;
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'raced') return () => done;
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
        if (!done && command.constructor.name === 'TransactWriteCommand') {
          done = true;
          await interloper();
        }
        return (target as unknown as { send: (...a: unknown[]) => Promise<unknown> }).send(command, ...rest);
      };
    },
  }) as T & { raced(): boolean };
}
