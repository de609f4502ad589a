import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ScansStoreProps {
  /** The study VPC; the store adds the S3 gateway endpoint that the fleet reads through. */
  readonly vpc: ec2.IVpc;
  /** Customer key for the scans. */
  readonly encryptionKey: kms.IKey;
  /** Retain or destroy the buckets with the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** Days before a noncurrent version of a scan object expires. */
  readonly noncurrentVersionExpiration: Duration;
  /**
   * Buckets AppStream itself must read through the VPC (an Elastic fleet's app block bucket).
   * @default - none
   */
  readonly appStreamReadBuckets?: string[];
}

/** Objects whose reads are allowed from outside the VPC (export downloads for coordinators). */
export const EXPORTS_PREFIX = 'exports/';

/**
 * Where the de-identified scans live: a versioned, KMS-encrypted bucket with TLS only, no public
 * access and access logs, whose objects can be read only through the study VPC's S3 gateway
 * endpoint (exports excepted) and only by principals of this account. IAM grants decide which of
 * those principals read what; the fleet role gets none (it fetches case files by presigned URL).
 */
export class ScansStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;

  constructor(scope: Construct, id: string, props: ScansStoreProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const autoDeleteObjects = props.removalPolicy === RemovalPolicy.DESTROY;

    // Server access logs cannot be delivered to an SSE-KMS bucket, so this one uses SSE-S3.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects,
      lifecycleRules: [{ noncurrentVersionExpiration: props.noncurrentVersionExpiration }],
    });

    this.bucket = new s3.Bucket(this, 'Scans', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'scans/',
      removalPolicy: props.removalPolicy,
      autoDeleteObjects,
      lifecycleRules: [
        { noncurrentVersionExpiration: props.noncurrentVersionExpiration },
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });

    // Created in this scope (not vpc.addGatewayEndpoint) so it lives in the data stack beside the bucket it names.
    this.s3Endpoint = new ec2.GatewayVpcEndpoint(this, 'S3Endpoint', { vpc: props.vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'StudyBucketsOnly',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:ListBucket', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:PrincipalAccount': stack.account } },
      }),
    );
    const appStreamBuckets = props.appStreamReadBuckets ?? [];
    if (appStreamBuckets.length > 0) {
      this.s3Endpoint.addToPolicy(
        new iam.PolicyStatement({
          sid: 'AppStreamAppBlocks',
          principals: [new iam.ArnPrincipal(`arn:${stack.partition}:sts::${stack.account}:assumed-role/AmazonAppStreamServiceAccess/AppStream2.0`)],
          actions: ['s3:GetObject'],
          resources: appStreamBuckets.map((b) => `arn:${stack.partition}:s3:::${b}/*`),
        }),
      );
    }

    // Image reads only through the study VPC: a leaked presigned URL is useless outside it.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyReadsOutsideStudyVpc',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        notResources: [this.bucket.arnForObjects(`${EXPORTS_PREFIX}*`)],
        conditions: { StringNotEquals: { 'aws:SourceVpce': this.s3Endpoint.vpcEndpointId } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherAccounts',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:*'],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
        conditions: { StringNotEquals: { 'aws:PrincipalAccount': stack.account } },
      }),
    );
  }
}
