import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { StudyConfig } from '../config/schema';
import { studyNames } from '../config/names';
import { AuditTrail, ReaderDirectory, ReadingTable, ScansStore, StudyBudget, TABLE_ACTIONS_IN_VPC, allowLogsToUseKey, retentionDays } from '../constructs';
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
    const names = studyNames(study.studyId);

    this.key = new kms.Key(this, 'Key', {
      description: `ReadRoom ${study.studyId}: scans, reading table, audit trail, logs`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // This stack's log groups (the trail's copy) and the reading stack's (functions, API access logs).
    allowLogsToUseKey(this.key, [names.dataStack, names.readingStack]);

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
        // The union of what the functions are granted (reading-api.ts): an action no function holds
        // has no business crossing the endpoint either.
        actions: TABLE_ACTIONS_IN_VPC.map((a) => `dynamodb:${a}`),
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
      trailName: names.trail,
      watchedBuckets: [this.scans.bucket],
      watchedTables: [this.reading.table],
      encryptionKey: this.key,
      accessLogBucket: this.scans.accessLogBucket,
      logRetention: retentionDays(study.retention.logRetentionDays),
      removalPolicy,
    });
    // CloudTrail must be able to encrypt with the study key (the Trail construct does not add this),
    // for this study's trail only: by name, since the key cannot reference a trail that needs it.
    const trailArn = this.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: names.trail });
    this.key.addToResourcePolicy(
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
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailDescribeKey',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
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
