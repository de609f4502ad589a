/**
 * Delivers queued export jobs to the export worker as the reading table's stream would. Lambda's
 * event source mapping cannot run here, so the record is built from the job item as the emulator
 * stored it (raw attribute values: the stream's NEW_IMAGE view), and the real handler runs it.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { handler as exportWorker } from '../../lambda/export-worker/handler';
import { keys } from '../../lambda/store/keys';
import { streamInsertEvent } from '../../local/aws-events';
import { REGION, type Harness } from './api-harness';

/** The stream event of one job item's INSERT (what the deployed filter lets through). */
export async function jobInsertEvent(h: Harness, exportId: string): Promise<DynamoDBStreamEvent> {
  const out = await h.ddb.send(new GetItemCommand({ TableName: h.tableName, Key: Object.fromEntries(Object.entries(keys.exportJob(exportId)).map(([k, v]) => [k, { S: v }])), ConsistentRead: true }));
  if (!out.Item) throw new Error(`no export job ${exportId} in the table`);
  return streamInsertEvent(REGION, out.Item as Parameters<typeof streamInsertEvent>[1], `insert-${exportId}`);
}

/** Runs the worker on the job's insert, as the stream trigger would after POST /exports. */
export async function runExportWorker(h: Harness, exportId: string) {
  return exportWorker(await jobInsertEvent(h, exportId));
}
