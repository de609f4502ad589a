import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { studyNames } from '../config/names';
import { AuditTrail, ReaderDirectory, ReadingTable, ScansStore, StudyBudget, StudyKey, TABLE_ACTIONS_IN_VPC, retentionDays } from '../constructs';
import { removalPolicyOf } from './removal';
import { StudyStack, StudyStackProps } from './study-stack';
import type { StudyConfig } from '../config/schema';

/**
 * Whole days a read session's copies of case files must outlive their creation: a session id opens
 * files until URL validity + the fleet's maximum session length after it was issued (the copies are
 * made after that, so this is an upper bound); S3 then rounds expiry up to the next midnight UTC.
 */
export function viewCopyDays(study: Pick<StudyConfig, 'streamingUrlValiditySeconds' | 'fleet'>): number {
  return Math.max(1, Math.ceil((study.streamingUrlValiditySeconds + study.fleet.timeouts.maxUserDurationSeconds) / 86_400));
}

export interface DataStackProps extends StudyStackProps {
  readonly vpc: ec2.IVpc;
  /** The study network's interface-endpoint group (HTTPS from the functions), for the directory endpoint. */
  readonly endpointSecurityGroup: ec2.ISecurityGroup;
}

/**
 * Everything that must outlive a reading season: the study key, the scans, the reading table, the
 * readers and the audit trail. Retained (and termination-protected) unless the study says `destroy`.
 */
export class DataStack extends StudyStack {
  readonly key: StudyKey;
  readonly scans: ScansStore;
  readonly readers: ReaderDirectory;
  readonly reading: ReadingTable;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    const retain = props.study.retention.data === 'retain';
    super(scope, id, { terminationProtection: retain, ...props });
    const { study } = props;
    const removalPolicy = removalPolicyOf(study);
    const names = studyNames(study.studyId);

    // This stack's log groups (the trail's copy) and the reading stack's (functions, API access logs).
    this.key = new StudyKey(this, 'Key', {
      description: `ReadRoom ${study.studyId}: scans, reading table, audit trail, logs`,
      logGroupStacks: [names.dataStack, names.readingStack],
      removalPolicy,
    });

    const fleet = study.fleet;
    this.scans = new ScansStore(this, 'Scans', {
      vpc: props.vpc,
      encryptionKey: this.key,
      removalPolicy,
      noncurrentVersionExpiration: Duration.days(study.retention.noncurrentVersionDays),
      viewCopiesExpiration: Duration.days(viewCopyDays(study)),
      appStreamReadBuckets: fleet.type === 'ELASTIC' ? [...new Set([fleet.appBlock.source.bucket, fleet.appBlock.setupScript.bucket, fleet.application.icon.bucket])] : [],
    });

    this.reading = new ReadingTable(this, 'Reading', { encryptionKey: this.key, removalPolicy, vpc: props.vpc, actionsInVpc: TABLE_ACTIONS_IN_VPC });

    this.readers = new ReaderDirectory(this, 'Readers', {
      studyName: study.displayName,
      groups: study.readers.groups,
      mfaRequired: study.readers.mfa === 'REQUIRED',
      threatProtection: study.readers.threatProtection,
      tokenValidity: Duration.minutes(study.readers.tokenValidityMinutes),
      removalPolicy,
      // Bulk assignment reads the reader group (and each reader's site) from inside the VPC.
      vpcEndpoint: { vpc: props.vpc, securityGroup: props.endpointSecurityGroup },
    });

    new AuditTrail(this, 'Audit', {
      trailName: names.trail,
      watchedBuckets: [this.scans.bucket],
      watchedTables: [this.reading.table],
      encryptionKey: this.key,
      accessLogBucket: this.scans.accessLogBucket,
      logRetention: retentionDays(study.retention.logRetentionDays),
      removalPolicy,
    });

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
