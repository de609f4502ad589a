/**
 * The one set of bucket defaults (scans, access logs, trail, the portal's site and CloudFront logs),
 * tested on a bucket of its own: what every bucket gets, what each role changes, and the props it refuses.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SecureBucket } from '../../lib/constructs';
import { createTestApp } from '../helpers/test-app';

const REASON = 'single-region study';

function stackWith(make: (stack: Stack) => void): { stack: Stack; template: Template } {
  const stack = new Stack(createTestApp(), 'Test', { env: { account: '111122223333', region: 'ap-northeast-2' } });
  make(stack);
  return { stack, template: Template.fromStack(stack) };
}

const acknowledged = (bucket: s3.Bucket): string[] =>
  bucket.node.defaultChild!.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    // Validations records each acknowledged rule as `Annotation::<rule id>`.
    .flatMap((m) => Object.keys(m.data as Record<string, string>).map((k) => k.replace(/^Annotation::/, '')))
    .sort();

describe('with the study key', () => {
  let bucket: SecureBucket;
  let template: Template;
  beforeAll(() => {
    ({ template } = stackWith((stack) => {
      const logs = new SecureBucket(stack, 'Logs', { receivesAccessLogs: true, removalPolicy: RemovalPolicy.RETAIN, singleRegionReason: REASON });
      bucket = new SecureBucket(stack, 'Data', {
        encryptionKey: new kms.Key(stack, 'Key'),
        serverAccessLogs: { bucket: logs, prefix: 'data/' },
        removalPolicy: RemovalPolicy.RETAIN,
        singleRegionReason: REASON,
      });
    }));
  });

  test('is private, versioned, owner-enforced, SSE-KMS with a bucket key, and logged under its prefix', () => {
    const [id] = Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } }));
    expect(id).toMatch(/^Data/);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { LogFilePrefix: 'data/' },
    });
  });

  test('its policy refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^Data') },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('is kept with RETAIN and never emptied', () => {
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    expect(Object.values(template.findResources('AWS::S3::Bucket')).map((r) => r.DeletionPolicy)).toEqual(['Retain', 'Retain']);
  });

  test('acknowledges only the replication findings, with the reason given', () => {
    expect(acknowledged(bucket)).toEqual(['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled']);
  });
});

test('the access-log target is SSE-S3, and only it acknowledges the KMS findings', () => {
  let logs!: SecureBucket;
  const { template } = stackWith((stack) => {
    logs = new SecureBucket(stack, 'Logs', { receivesAccessLogs: true, removalPolicy: RemovalPolicy.RETAIN, singleRegionReason: REASON });
  });
  template.hasResourceProperties('AWS::S3::Bucket', { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
  expect(acknowledged(logs)).toEqual([
    'HIPAA.Security-S3BucketReplicationEnabled',
    'HIPAA.Security-S3DefaultEncryptionKMS',
    'NIST.800.53.R5-S3BucketReplicationEnabled',
    'NIST.800.53.R5-S3DefaultEncryptionKMS',
  ]);
});

test('with DESTROY it is deleted and emptied first', () => {
  const { template } = stackWith((stack) => new SecureBucket(stack, 'Logs', { receivesAccessLogs: true, removalPolicy: RemovalPolicy.DESTROY, singleRegionReason: REASON }));
  template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  expect(Object.values(template.findResources('AWS::S3::Bucket')).map((r) => r.DeletionPolicy)).toEqual(['Delete']);
});

test.each([
  ['neither a key nor the access-log role', {}],
  ['both a key and the access-log role', { receivesAccessLogs: true, withKey: true }],
  ['both a key and public files', { servesPublicFiles: true, withKey: true }],
  ['both the access-log role and public files', { receivesAccessLogs: true, servesPublicFiles: true }],
  ['both the access-log and the CloudFront-log roles', { receivesAccessLogs: true, receivesCloudFrontLogs: true }],
  ['both a key and the CloudFront-log role', { receivesCloudFrontLogs: true, withKey: true }],
])('refuses %s', (_name, opts: { receivesAccessLogs?: boolean; receivesCloudFrontLogs?: boolean; servesPublicFiles?: boolean; withKey?: boolean }) => {
  expect(() =>
    stackWith((stack) => {
      new SecureBucket(stack, 'Bad', {
        encryptionKey: opts.withKey ? new kms.Key(stack, 'Key') : undefined,
        receivesAccessLogs: opts.receivesAccessLogs,
        receivesCloudFrontLogs: opts.receivesCloudFrontLogs,
        servesPublicFiles: opts.servesPublicFiles,
        removalPolicy: RemovalPolicy.RETAIN,
        singleRegionReason: REASON,
      });
    }),
  ).toThrow(/SecureBucket Bad: give exactly one of encryptionKey \(SSE-KMS\), receivesAccessLogs .*, receivesCloudFrontLogs .* or servesPublicFiles/);
});

test('public files (the portal site): SSE-S3, no ACLs, the KMS findings acknowledged with that reason', () => {
  const { template, stack } = stackWith((stack) => new SecureBucket(stack, 'Site', { servesPublicFiles: true, removalPolicy: RemovalPolicy.RETAIN, singleRegionReason: REASON }));
  template.hasResourceProperties('AWS::S3::Bucket', {
    BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
  });
  const bucket = stack.node.findAll().find((c) => c.node.path.endsWith('Site/Resource'))!;
  const acked = bucket.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.entries(m.data as Record<string, string>));
  expect(Object.fromEntries(acked)).toMatchObject({
    'Annotation::HIPAA.Security-S3DefaultEncryptionKMS': expect.stringMatching(/portal's built files/),
    'Annotation::NIST.800.53.R5-S3DefaultEncryptionKMS': expect.stringMatching(/keeps CloudFront out of the study key/),
  });
});

test('the access-log target has no ACLs: S3 server access logs arrive under the bucket policy (issue 10 item 7)', () => {
  const { template } = stackWith((stack) => new SecureBucket(stack, 'Logs', { receivesAccessLogs: true, removalPolicy: RemovalPolicy.RETAIN, singleRegionReason: REASON }));
  template.hasResourceProperties('AWS::S3::Bucket', { OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
});

test('CloudFront logs: the one bucket with ACLs (CloudFront delivers standard logs through them), bucket owner preferred, SSE-S3, the KMS findings acknowledged with that reason', () => {
  const { template, stack } = stackWith((stack) => new SecureBucket(stack, 'CfLogs', { receivesCloudFrontLogs: true, removalPolicy: RemovalPolicy.RETAIN, singleRegionReason: REASON }));
  template.hasResourceProperties('AWS::S3::Bucket', {
    BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    VersioningConfiguration: { Status: 'Enabled' },
  });
  expect(Object.values(template.findResources('AWS::S3::Bucket'))[0].Properties.AccessControl).toBeUndefined();
  const bucket = stack.node.findAll().find((c) => c.node.path.endsWith('CfLogs/Resource'))!;
  const acked = bucket.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.entries(m.data as Record<string, string>));
  expect(Object.fromEntries(acked)).toMatchObject({
    'Annotation::HIPAA.Security-S3DefaultEncryptionKMS': expect.stringMatching(/CloudFront's request logs/),
    'Annotation::NIST.800.53.R5-S3DefaultEncryptionKMS': expect.stringMatching(/out of the study key policy/),
  });
});
