import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { StudyConfig } from '../config/schema';
import { AuditTrail, ReaderDirectory, ReadingTable, ScansStore, StudyBudget, allowLogsToUseKey, retentionDays } from '../constructs';
import { removalPolicyOf } from './removal';

export interface DataStackProps extends StackProps {
  readonly study: StudyConfig;
  readonly vpc: ec2.IVpc;
  /** The study network's interface-endpoint group (HTTPS from the functions), for the directory endpoint. */
  readonly endpointSecurityGroup: ec2.ISecurityGroup;
}

/**
 * Everything that must outlive a reading season: the study key, the scans, the reading table, the
 * readers and the audit trail. Retained (and termination-protected) unless the study says `destroy`.
 */
export class DataStack extends Stack {
  readonly key: kms.Key;
  readonly scans: ScansStore;
  readonly readers: ReaderDirectory;
  readonly reading: ReadingTable;
  readonly dynamoDbEndpoint: ec2.GatewayVpcEndpoint;
  readonly directoryEndpoint: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    const retain = props.study.retention.data === 'retain';
    super(scope, id, { terminationProtection: retain, ...props });
    const { study } = props;
    const removalPolicy = removalPolicyOf(study);

    this.key = new kms.Key(this, 'Key', {
      description: `ReadRoom ${study.studyId}: scans, reading table, audit trail, logs`,
      enableKeyRotation: true,
      removalPolicy,
    });
    allowLogsToUseKey(this.key);

    const fleet = study.fleet;
    this.scans = new ScansStore(this, 'Scans', {
      vpc: props.vpc,
      encryptionKey: this.key,
      removalPolicy,
      noncurrentVersionExpiration: Duration.days(study.retention.noncurrentVersionDays),
      appStreamReadBuckets: fleet.type === 'ELASTIC' ? [...new Set([fleet.appBlock.source.bucket, fleet.appBlock.setupScript.bucket, fleet.application.icon.bucket])] : [],
    });

    this.reading = new ReadingTable(this, 'Reading', { encryptionKey: this.key, removalPolicy });
    this.dynamoDbEndpoint = new ec2.GatewayVpcEndpoint(this, 'DynamoDbEndpoint', { vpc: props.vpc, service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    this.dynamoDbEndpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'StudyTableOnly',
        principals: [new iam.AnyPrincipal()],
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:TransactWriteItems', 'dynamodb:TransactGetItems', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'],
        resources: [this.reading.table.tableArn, `${this.reading.table.tableArn}/index/*`],
        conditions: { StringEquals: { 'aws:PrincipalAccount': this.account } },
      }),
    );

    this.readers = new ReaderDirectory(this, 'Readers', {
      studyName: study.displayName,
      groups: study.readers.groups,
      mfaRequired: study.readers.mfa === 'REQUIRED',
      threatProtection: study.readers.threatProtection,
      tokenValidity: Duration.minutes(study.readers.tokenValidityMinutes),
      callbackUrls: [...study.portal.embedHostDomains.map((d) => `https://${d}/`), ...study.portal.callbackUrls],
      removalPolicy,
    });

    // Bulk assignment reads the reader group and each reader's site from the directory, from inside
    // the isolated VPC: a cognito-idp interface endpoint whose policy allows that one call on this
    // pool only. It lives here, beside the pool it names (the network stack cannot name it: this
    // stack depends on that one). Cognito refuses requests through an endpoint for a user pool that
    // has a domain (managed login): the pool must keep none (test/infra/data-stack.test.ts).
    this.directoryEndpoint = new ec2.InterfaceVpcEndpoint(this, 'DirectoryEndpoint', {
      vpc: props.vpc,
      service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP,
      securityGroups: [props.endpointSecurityGroup],
      open: false,
      privateDnsEnabled: true,
    });
    this.directoryEndpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReaderGroupOfThisPoolOnly',
        principals: [new iam.AnyPrincipal()],
        actions: ['cognito-idp:ListUsersInGroup'],
        resources: [this.readers.userPool.userPoolArn],
        conditions: { StringEquals: { 'aws:PrincipalAccount': this.account } },
      }),
    );

    new AuditTrail(this, 'Audit', {
      watchedBuckets: [this.scans.bucket],
      encryptionKey: this.key,
      accessLogBucket: this.scans.accessLogBucket,
      logRetention: retentionDays(study.retention.logRetentionDays),
      removalPolicy,
    });
    // CloudTrail must be able to encrypt with the study key (the Trail construct does not add this).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrail',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${this.partition}:cloudtrail:*:${this.account}:trail/*` } },
      }),
    );

    new StudyBudget(this, 'Budget', {
      tag: { key: 'readroom:study', value: study.studyId },
      monthlyUsd: study.budget.monthlyUsd,
      thresholdsPercent: study.budget.thresholdsPercent,
      alertEmails: study.budget.alertEmails,
    });

    new CfnOutput(this, 'ScansBucketName', { value: this.scans.bucket.bucketName, description: 'Upload de-identified cases here' });
    new CfnOutput(this, 'UserPoolId', { value: this.readers.userPool.userPoolId });
    new CfnOutput(this, 'PortalClientId', { value: this.readers.portalClient.userPoolClientId });
    new CfnOutput(this, 'ReadingTableName', { value: this.reading.table.tableName });
  }
}
