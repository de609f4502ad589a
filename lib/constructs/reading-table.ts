import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface ReadingTableProps {
  readonly encryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
}

/** Global secondary indexes of the reading table; the access patterns are in lambda/store/README.md. */
export const READING_TABLE_INDEXES = ['gsi1', 'gsi2'] as const;

/**
 * All reading state in one on-demand table (single-table design: cases, assignments, reads and their
 * history, adjudications, finals, sessions, audit events), with point-in-time recovery, the study
 * key, and deletion protection while the study is retained. `ttl` only ever expires idempotency
 * records; reading history is never expired. Its stream (new images) triggers the export worker.
 */
export class ReadingTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: ReadingTableProps) {
    super(scope, id);
    const key = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: key('pk'),
      sortKey: key('sk'),
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
      timeToLiveAttribute: 'ttl',
      // New images only: the export worker starts on the insert of a queued export job.
      dynamoStream: dynamodb.StreamViewType.NEW_IMAGE,
      globalSecondaryIndexes: READING_TABLE_INDEXES.map((name) => ({ indexName: name, partitionKey: key(`${name}pk`), sortKey: key(`${name}sk`) })),
    });
  }
}
