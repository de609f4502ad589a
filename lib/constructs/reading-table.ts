import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface ReadingTableProps {
  readonly encryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** The study VPC: the table adds the DynamoDB gateway endpoint its functions reach it through. */
  readonly vpc: ec2.IVpc;
  /**
   * The DynamoDB actions (without `dynamodb:`) the endpoint lets through, on this table and its
   * indexes: the union of what the functions are granted (`TABLE_ACTIONS_IN_VPC`), since an action
   * no function holds has no business crossing the endpoint either.
   */
  readonly actionsInVpc: readonly string[];
}

/** Global secondary indexes of the reading table; the access patterns are in lambda/store/README.md. */
export const READING_TABLE_INDEXES = ['gsi1', 'gsi2'] as const;

/**
 * All reading state in one on-demand table (single-table design: cases, assignments, reads and their
 * history, adjudications, finals, sessions, audit events), with point-in-time recovery, the study
 * key, and deletion protection while the study is retained. `ttl` only ever expires idempotency
 * records; reading history is never expired. Its stream (new images) triggers the export worker.
 * The study VPC reaches it through a DynamoDB gateway endpoint that passes only the functions'
 * actions on this table, by this account.
 */
export class ReadingTable extends Construct {
  readonly table: dynamodb.TableV2;
  readonly endpoint: ec2.GatewayVpcEndpoint;

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

    // Created in the parent scope with the construct id it had when the data stack built it, so
    // its logical id (and the deployed endpoint with its route-table entries) stay what they were.
    this.endpoint = new ec2.GatewayVpcEndpoint(scope, 'DynamoDbEndpoint', { vpc: props.vpc, service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    this.endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'StudyTableOnly',
        principals: [new iam.AnyPrincipal()],
        actions: props.actionsInVpc.map((a) => `dynamodb:${a}`),
        resources: [this.table.tableArn, `${this.table.tableArn}/index/*`],
        conditions: { StringEquals: { 'aws:PrincipalAccount': Stack.of(this).account } },
      }),
    );
  }
}
