/**
 * The export worker's ports over the reading table and the scans bucket: the case source (every
 * read a Query on gsi1 or a case partition, or a BatchGetItem; nothing scans), the pseudonyms and
 * the job lifecycle of store/exports.ts.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimited } from '../runtime/map-limited';
import { caseFacts } from '../../domain/case';
import { type CaseRecord } from '../store/cases';
import { ensurePseudonyms, finishExportJob, takeExportJob } from '../store/exports';
import { fromFinalItem } from '../store/finals';
import { keys } from '../store/keys';
import { listReads } from '../store/reads';
import { batchGet } from '../store/table';
import type { JobPorts } from './core';
import type { ExportSource, Pseudonymiser } from './export';

export function jobPorts(db: DynamoDBDocumentClient, tableName: string): JobPorts {
  return {
    take: (exportId, lease) => takeExportJob(db, tableName, exportId, lease),
    finish: (exportId, attempt, outcome, audit) => finishExportJob(db, tableName, exportId, attempt, outcome, audit),
  };
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
            ProjectionExpression: 'pk, sk, gsi1pk, gsi1sk, caseId, #state, eyes, octPresent, octEyes',
            ExpressionAttributeNames: { '#state': 'state' },
            Limit: opts.pageSize ?? 100,
            ExclusiveStartKey: start,
          }),
        );
        const page = (out.Items ?? []).map((i) => {
          const c = i as Pick<CaseRecord, 'caseId' | 'state' | 'eyes' | 'octPresent' | 'octEyes'>;
          return { caseId: c.caseId, state: c.state, facts: caseFacts({ eyes: c.eyes ?? [], octPresent: c.octPresent === true, octEyes: c.octEyes }) };
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
