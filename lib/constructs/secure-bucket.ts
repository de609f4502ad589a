import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  /**
   * The customer key that encrypts the objects (SSE-KMS with an S3 bucket key). Required unless
   * the bucket is the target of access logs (`receivesAccessLogs`, `receivesCloudFrontLogs`) or
   * serves public files (`servesPublicFiles`).
   * @default - none: then exactly one of the other three must be true
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The bucket receives S3 server access logs, which S3 cannot deliver to an SSE-KMS bucket: it is
   * encrypted with SSE-S3 instead, and cdk-nag's KMS findings are acknowledged with that reason.
   * @default false
   */
  readonly receivesAccessLogs?: boolean;
  /**
   * The bucket receives CloudFront's standard (legacy) logs, which CloudFront's log delivery
   * account (awslogsdelivery) writes through a bucket ACL: the only SecureBucket with ACLs enabled
   * (`BucketOwnerPreferred`, so the bucket owner still owns every log object), SSE-S3 so that
   * delivery needs no grant on the study key. Nothing else may log here.
   * @default false
   */
  readonly receivesCloudFrontLogs?: boolean;
  /**
   * The bucket holds only files every visitor of the portal downloads (the built portal, read by
   * CloudFront through origin access control): SSE-S3, so CloudFront needs no grant on the study
   * key that protects the scans. The KMS findings are acknowledged with that reason.
   * @default false
   */
  readonly servesPublicFiles?: boolean;
  /**
   * Where this bucket's own server access logs go, under `prefix`.
   * @default - none (only for the bucket that receives them)
   */
  readonly serverAccessLogs?: { readonly bucket: s3.IBucket; readonly prefix: string };
  /** Retain (stores outlive the stack) or destroy; destroy also empties the bucket on delete. */
  readonly removalPolicy: RemovalPolicy;
  /** @default - none */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /**
   * Why this bucket is not replicated to another region, in its own words: acknowledges the
   * HIPAA/NIST replication findings (a study is single-region by design).
   */
  readonly singleRegionReason: string;
}

/**
 * ReadRoom's bucket defaults, in one place for every bucket it owns (scans, access logs, trail, and
 * the portal's site and CloudFront logs): no public access, TLS only, versioned, no ACLs
 * (`BucketOwnerEnforced`; CloudFront's log bucket excepted, see below), encrypted with the study key
 * (SSE-S3 only for the two log targets and the portal's public files), objects emptied on delete
 * only when the study says `destroy`.
 */
export class SecureBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    const roles = [props.encryptionKey !== undefined, props.receivesAccessLogs === true, props.receivesCloudFrontLogs === true, props.servesPublicFiles === true];
    if (roles.filter(Boolean).length !== 1) {
      throw new Error(
        `SecureBucket ${id}: give exactly one of encryptionKey (SSE-KMS), receivesAccessLogs (SSE-S3, the only encryption server access logging accepts), receivesCloudFrontLogs (SSE-S3 with ACLs, CloudFront's standard logs) or servesPublicFiles (SSE-S3, the portal's site)`,
      );
    }
    super(scope, id, {
      ...(props.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      // No ACLs: S3 delivers server access logs under the bucket policy CDK writes
      // (logging.s3.amazonaws.com, only from the study's buckets and account). The one exception is
      // CloudFront's log bucket: CloudFront's standard logs are delivered by its log account through
      // a bucket ACL, which needs ACLs enabled (AWS, CloudFront Developer Guide, "Configure standard
      // logging (legacy)": not a bucket with BucketOwnerEnforced); with BucketOwnerPreferred the
      // bucket owner still owns every log object. Public access stays blocked, ACLs included.
      objectOwnership: props.receivesCloudFrontLogs ? s3.ObjectOwnership.BUCKET_OWNER_PREFERRED : s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.serverAccessLogs?.bucket,
      serverAccessLogsPrefix: props.serverAccessLogs?.prefix,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
      lifecycleRules: props.lifecycleRules,
    });
    const ack = (id: string, reason: string) => Validations.of(this.node.defaultChild!).acknowledge({ id, reason });
    for (const rule of ['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled']) ack(rule, props.singleRegionReason);
    if (props.receivesAccessLogs) {
      const sseS3Only =
        'S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS, so this bucket uses SSE-S3 (AES-256). ' +
        'It holds request logs only, never scans, and is private, TLS-only and versioned.';
      for (const rule of ['HIPAA.Security-S3DefaultEncryptionKMS', 'NIST.800.53.R5-S3DefaultEncryptionKMS']) ack(rule, sseS3Only);
    }
    if (props.receivesCloudFrontLogs) {
      const cloudFrontLogs =
        "This bucket holds only CloudFront's request logs of the portal and the streaming proxy (no study data). SSE-S3 (AES-256) keeps CloudFront's log delivery " +
        'account out of the study key policy that protects the scans; the bucket is private, TLS-only and versioned, and its ACLs serve only that delivery.';
      for (const rule of ['HIPAA.Security-S3DefaultEncryptionKMS', 'NIST.800.53.R5-S3DefaultEncryptionKMS']) ack(rule, cloudFrontLogs);
    }
    if (props.servesPublicFiles) {
      const publicFiles =
        "This bucket holds only the portal's built files and its config.json, which every visitor downloads (no study data, no secret). " +
        'SSE-S3 (AES-256) keeps CloudFront out of the study key policy that protects the scans; the bucket stays private, TLS-only and versioned, read only by CloudFront through origin access control.';
      for (const rule of ['HIPAA.Security-S3DefaultEncryptionKMS', 'NIST.800.53.R5-S3DefaultEncryptionKMS']) ack(rule, publicFiles);
    }
  }
}
