/**
 * Final grades (`CASE#<id>` / `FINAL`) with their provenance and who, when and why. A concordant or
 * single-read final is written by the system when the last read arrives (reader-api); an
 * adjudicated one by `PUT /adjudications/{caseId}`, in the same transaction that resolves the task.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Eye } from '../../domain/form/schema';
import type { FinalNote, Provenance, ReadLabel } from '../../domain/rules/discordance';
import type { NormalisedAnswers } from '../../domain/answers';
import { keys } from './keys';
import { batchGet, type Table } from './table';

/** How an adjudicator settled one question (per eye): a read's answer (by its label) or a new value. */
export type PickSource = ReadLabel | 'new';

export interface FinalPick {
  question: string;
  eye?: Eye;
  source: PickSource;
}

export interface FinalRecord {
  caseId: string;
  provenance: Provenance;
  value: NormalisedAnswers;
  formVersion: string;
  /** Adjudicator's Cognito sub, or 'system' for concordant and single-read finals. */
  decidedBy: string;
  decidedAt: string;
  /** Adjudicated finals: the reason code, the optional note and each explicit pick. */
  reasonCode?: string;
  note?: string;
  picks?: FinalPick[];
  /** Concordant finals: how differing answers were merged (domain `concordantFinal`). */
  notes?: FinalNote[];
}

export const SYSTEM_ACTOR = 'system';

/**
 * The Put of a final. An adjudicated final may replace a system one (e.g. a concordant case sent
 * to senior QA) but never another adjudicated final: a second resolution must fail, not overwrite.
 */
export function finalPut(tableName: string, record: FinalRecord): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.final(record.caseId), type: 'final', ...record } as never,
      ConditionExpression: 'attribute_not_exists(pk) OR provenance <> :adjudicated',
      ExpressionAttributeValues: { ':adjudicated': 'adjudicated' } as never,
    },
  };
}

export function fromFinalItem(item: Record<string, unknown>): FinalRecord {
  const { pk: _pk, sk: _sk, type: _type, ...record } = item;
  return record as unknown as FinalRecord;
}

/** Final grades in the table. */
export function finalStore({ db, tableName }: Table) {
  async function getFinal(caseId: string): Promise<FinalRecord | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.final(caseId), ConsistentRead: true }));
    return out.Item ? fromFinalItem(out.Item) : undefined;
  }

  /** The finals of many cases in one round (BatchGetItem), by case id; cases without one are left out. */
  async function finalsOf(caseIds: readonly string[]): Promise<Map<string, FinalRecord>> {
    const items = await batchGet(db, tableName, caseIds.map((id) => keys.final(id)));
    return new Map(items.map((i) => [String(i.caseId), fromFinalItem(i)]));
  }

  return { getFinal, finalsOf };
}
