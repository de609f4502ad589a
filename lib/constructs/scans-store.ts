import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { viaServices } from './encryption';
import { SecureBucket } from './secure-bucket';

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
   * How long a session's copies of case files (`views/`) are kept: at least as long as any session
   * that could still fetch them (URL validity + the fleet's maximum session length), in whole days.
   */
  readonly viewCopiesExpiration: Duration;
  /**
   * Buckets AppStream itself must read through the VPC (an Elastic fleet's app block bucket).
   * @default - none
   */
  readonly appStreamReadBuckets?: string[];
}

/** Objects whose reads are allowed from outside the VPC (export downloads for coordinators). */
export const EXPORTS_PREFIX = 'exports/';
/** Prefix of case folders; each holds `manifest.json` and the exam files. */
export const CASES_PREFIX = 'cases/';
/**
 * Per-session copies of a case's files under opaque folders (lambda/case-files `VIEWS_PREFIX`): what
 * a read session's presigned URLs point at, so no URL names a case or repeats across sessions.
 */
export const VIEWS_PREFIX = 'views/';
/**
 * Where the access-log bucket takes the S3 server access logs of the portal's buckets
 * (lib/constructs/portal-hosting.ts): its site and its CloudFront log bucket. CloudFront's own logs
 * go to that log bucket, not here.
 */
export const PORTAL_LOG_PREFIXES = { site: 'portal/site/', cloudFrontLogs: 'portal/cloudfront-logs/' } as const;

/** Customer-managed policies for the only ways ReadRoom's functions touch objects. */
export interface ScansAccessPolicies {
  /**
   * GetObject on every case file, and Get + Put under `views/`: the case-files function copies a
   * case's files for a read session (CopyObject = Get on the source, Put on the target) and
   * presigns the copies.
   */
  readonly readCaseFiles: iam.IManagedPolicy;
  /** GetObject on `cases/<id>/manifest.json` and ListBucket under `cases/` (the registry). */
  readonly readManifests: iam.IManagedPolicy;
  /** Put (multipart included) under `exports/`: the export worker writes the files. */
  readonly writeExports: iam.IManagedPolicy;
  /** Get under `exports/`: the coordinator API presigns the download links with it. */
  readonly readExports: iam.IManagedPolicy;
}

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
  readonly access: ScansAccessPolicies;

  constructor(scope: Construct, id: string, props: ScansStoreProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const singleRegion =
      'A study is single-region by design: replication would copy de-identified health data (or the logs of who read it) to a second region. ' +
      'Objects are protected in place instead: versioning, a retained bucket, private TLS-only access, and every scan read or delete recorded by the access logs and the audit trail.';
    this.accessLogBucket = new SecureBucket(this, 'AccessLogs', {
      receivesAccessLogs: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [{ noncurrentVersionExpiration: props.noncurrentVersionExpiration }],
      singleRegionReason: singleRegion,
    });
    this.bucket = new SecureBucket(this, 'Scans', {
      encryptionKey: props.encryptionKey,
      serverAccessLogs: { bucket: this.accessLogBucket, prefix: 'scans/' },
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        { noncurrentVersionExpiration: props.noncurrentVersionExpiration },
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
        // Session copies are needed only while their session can run; then they go, and so do
        // their noncurrent versions a day later (they are derived data, not the scans the rule
        // above keeps versions of; S3 applies the shorter of two overlapping expirations).
        { id: 'ExpireSessionCopies', prefix: VIEWS_PREFIX, expiration: props.viewCopiesExpiration, noncurrentVersionExpiration: Duration.days(1) },
      ],
      singleRegionReason: singleRegion,
    });

    // The portal's buckets live in the reading stack, which depends on this one: their S3 server
    // access logs are allowed here by prefix and account (the bucket cannot be named from here
    // without a reference cycle). CloudFront's logs, which need ACLs, go to PortalHosting's own
    // bucket, so this one keeps ACLs disabled.
    this.accessLogBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PortalAccessLogs',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: Object.values(PORTAL_LOG_PREFIXES).map((prefix) => this.accessLogBucket.arnForObjects(`${prefix}*`)),
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:s3:::*` } },
      }),
    );

    // Object-created events go to EventBridge (the case registry listens there). Set on the L1:
    // the L2 switch adds a notifications custom resource, CloudFormation supports it natively.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    // Created in this scope (not vpc.addGatewayEndpoint) so it lives in the data stack beside the bucket it names.
    this.s3Endpoint = new ec2.GatewayVpcEndpoint(this, 'S3Endpoint', { vpc: props.vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
    // Exactly what happens inside the VPC: the fleet and the registry read case objects (the fleet by
    // URLs the case-files function presigns), the registry lists case folders, and the export worker
    // writes exports. Export downloads are presigned for browsers outside the VPC, not read here.
    const ownAccount = { StringEquals: { 'aws:PrincipalAccount': stack.account } };
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCases',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${CASES_PREFIX}*`)],
        conditions: ownAccount,
      }),
    );
    // The fleet fetches a read session's copies; the case-files function writes them (CopyObject).
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SessionCopies',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.bucket.arnForObjects(`${VIEWS_PREFIX}*`)],
        conditions: ownAccount,
      }),
    );
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListCases',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { ...ownAccount, StringLike: { 's3:prefix': [`${CASES_PREFIX}*`] } },
      }),
    );
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteExports',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects(`${EXPORTS_PREFIX}*`)],
        conditions: ownAccount,
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

    this.access = {
      // The description stays as first deployed: changing it would replace the policy, whose ARN
      // the reading stack imports.
      readCaseFiles: this.objectPolicy('ReadCaseFilesPolicy', 'Read the files of cases', ['s3:GetObject'], `${CASES_PREFIX}*`, [], [
        { actions: ['s3:GetObject', 's3:PutObject'], pattern: `${VIEWS_PREFIX}*` },
      ]),
      readManifests: this.objectPolicy('ReadManifestsPolicy', 'Read case manifests and list case folders', ['s3:GetObject'], `${CASES_PREFIX}*/manifest.json`, [
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${CASES_PREFIX}*`] } } }),
      ]),
      writeExports: this.objectPolicy('WriteExportsPolicy', 'Write study exports', ['s3:PutObject', 's3:AbortMultipartUpload'], `${EXPORTS_PREFIX}*`),
      // Presigned download links are signed with this; they work only while it holds.
      readExports: this.objectPolicy('ReadExportsPolicy', 'Read study exports', ['s3:GetObject'], `${EXPORTS_PREFIX}*`),
    };
  }

  /**
   * A policy on one object prefix, with the study key actions those object actions need, named
   * exactly (no wildcard actions). It lives beside the bucket so its wildcard findings (one per prefix) can be
   * acknowledged precisely.
   */
  private objectPolicy(id: string, description: string, actions: string[], pattern: string, extra: iam.PolicyStatement[] = [], more: Array<{ actions: string[]; pattern: string }> = []): iam.ManagedPolicy {
    const keyArn = this.bucket.encryptionKey!.keyArn;
    const grants = [{ actions, pattern }, ...more];
    // Reading an SSE-KMS object needs only Decrypt; writing needs a data key (and Decrypt, which
    // the parts of a multipart upload use).
    const keyActions = grants.some((g) => g.actions.includes('s3:PutObject')) ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'];
    const policy = new iam.ManagedPolicy(this, id, {
      description: `ReadRoom: ${description}`,
      statements: [
        ...grants.map((g) => new iam.PolicyStatement({ actions: g.actions, resources: [this.bucket.arnForObjects(g.pattern)] })),
        // The key only as S3 uses it for these objects, never directly.
        new iam.PolicyStatement({ actions: keyActions, resources: [keyArn], conditions: viaServices(Stack.of(this), 's3') }),
        ...extra,
      ],
    });
    // cdk-nag names a GetAtt as <LogicalId.Arn> in the finding id.
    const arn = `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    for (const g of grants) {
      Validations.of(policy.node.defaultChild!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arn}/${g.pattern}]`,
        reason:
          g.pattern === `${VIEWS_PREFIX}*`
            ? `Session copies (${g.pattern}) are created per streaming session under folders named at run time, so they cannot be listed by name.`
            : `Access is by object prefix (${g.pattern}) of the one scans bucket: case and export objects are created at run time, so they cannot be listed by name.`,
      });
    }
    return policy;
  }
}
