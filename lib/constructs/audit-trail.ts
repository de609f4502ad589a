import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SecureBucket } from './secure-bucket';

export interface AuditTrailProps {
  /** The trail's name (the key policy names the trail by it: a key cannot reference a trail that needs it). */
  readonly trailName: string;
  /** Buckets whose object reads and writes are recorded (S3 data events). */
  readonly watchedBuckets: s3.IBucket[];
  /** Tables whose item reads and writes are recorded (DynamoDB data events). */
  readonly watchedTables: dynamodb.ITableV2[];
  /**
   * Encrypts the trail files and its CloudWatch log group. The trail adds to its key policy what
   * CloudTrail needs, for this trail only, so the key must be one this app owns.
   */
  readonly encryptionKey: kms.IKey;
  /** Where the trail bucket sends its own server access logs. */
  readonly accessLogBucket: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Who read or wrote which scan or reading item, when: a CloudTrail trail with S3 data events on the
 * scans bucket and DynamoDB data events on the reading table (reads and writes: every GetItem,
 * Query, PutItem… with its caller), write management events (CreateStreamingURL among them) with
 * global service events (IAM, STS, CloudFront as delivered to this region), log-file validation,
 * KMS, and a copy in CloudWatch Logs for queries and alarms.
 */
export class AuditTrail extends Construct {
  readonly trail: cloudtrail.Trail;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    this.bucket = new SecureBucket(this, 'Bucket', {
      encryptionKey: props.encryptionKey,
      serverAccessLogs: { bucket: props.accessLogBucket, prefix: 'trail/' },
      removalPolicy: props.removalPolicy,
      singleRegionReason:
        'A study is single-region by design: replicating the trail would copy who-read-which-scan records of a health study to a second region. ' +
        'The trail is protected in place instead: versioning, log-file validation digests, KMS, a retained bucket, and a CloudWatch Logs copy.',
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName: props.trailName,
      bucket: this.bucket,
      encryptionKey: props.encryptionKey,
      enableFileValidation: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: false,
      managementEvents: cloudtrail.ReadWriteType.WRITE_ONLY,
    });
    // The CloudWatch Logs copy is wired on the L1: the L2's `sendToCloudWatchLogs` creates a role
    // with an inline policy and offers no way to pass our own.
    // No aws:SourceAccount/SourceArn condition: CloudTrail's CloudWatch Logs delivery does not support them.
    const logsRole = new iam.Role(this, 'LogsRole', {
      assumedBy: new iam.ServicePrincipal('cloudtrail.amazonaws.com'),
      description: 'Delivers the audit trail to its CloudWatch log group',
    });
    const logsPolicy = new iam.ManagedPolicy(this, 'LogsPolicy', {
      description: 'Write the audit trail to its own log group only',
      statements: [new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] })],
      roles: [logsRole],
    });
    const cfnTrail = this.trail.node.defaultChild as cloudtrail.CfnTrail;
    cfnTrail.cloudWatchLogsLogGroupArn = logGroup.logGroupArn;
    cfnTrail.cloudWatchLogsRoleArn = logsRole.roleArn;
    cfnTrail.node.addDependency(logsPolicy);

    this.allowTrailToUseKey(props.encryptionKey, props.trailName);
    this.trail.addS3EventSelector(
      props.watchedBuckets.map((bucket) => ({ bucket })),
      { readWriteType: cloudtrail.ReadWriteType.ALL, includeManagementEvents: false },
    );
    // CDK's enum lists only S3 objects and Lambda functions; basic event selectors take DynamoDB tables too.
    this.trail.addEventSelector(
      'AWS::DynamoDB::Table' as cloudtrail.DataResourceType,
      props.watchedTables.map((t) => t.tableArn),
      { readWriteType: cloudtrail.ReadWriteType.ALL, includeManagementEvents: false },
    );
  }

  /**
   * CloudTrail must be able to encrypt with the key (the Trail construct does not add this), for
   * this trail only: by name, since the key cannot reference a trail that needs it.
   */
  private allowTrailToUseKey(key: kms.IKey, trailName: string): void {
    const trailArn = Stack.of(this).formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: trailName });
    const add = (statement: iam.PolicyStatement) => {
      if (!key.addToResourcePolicy(statement).statementAdded) throw new Error(`AuditTrail ${this.node.path}: the trail's key must be one this app owns (its policy gets CloudTrail's grant)`);
    };
    add(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrail',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trailArn },
        },
      }),
    );
    // DescribeKey carries no encryption context, so it is scoped by the calling trail alone.
    add(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailDescribeKey',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
      }),
    );
  }
}
