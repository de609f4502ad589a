/**
 * The stateful stack: the study key, the scans bucket and its access logs, the reading table, the
 * reader directory, the audit trail and the budget.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Capture, Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AuditTrail, SecureBucket } from '../../lib/constructs';
import { VIEWS_PREFIX } from '../../lib/constructs/scans-store';
import { viewCopyDays } from '../../lib/stacks/data-stack';
import { VIEWS_PREFIX as CASE_FILES_VIEWS_PREFIX } from '../../lambda/case-files/core';
import { VARIANTS, buildStudy } from '../helpers/studies';
import { SynthesizedStudy, createTestApp, synthStudy } from '../helpers/test-app';
import { expectStudyTags } from '../helpers/tags';
import { json, onlyResource, resourcesOfType } from '../helpers/template';

let s: SynthesizedStudy;
let key: string;
let scans: string;
let accessLogs: string;
let endpoint: string;
beforeAll(() => {
  s = synthStudy(buildStudy());
  const ids = Object.keys(json(s.data).Resources);
  const find = (re: RegExp) => ids.find((k) => re.test(k))!;
  key = onlyResource(s.data, 'AWS::KMS::Key')[0];
  scans = find(/^ScansDD/);
  accessLogs = find(/^ScansAccessLogs[0-9A-F]{8}$/);
  endpoint = find(/^ScansS3Endpoint/);
}, 60_000);

const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objectsOf = (id: string, suffix = '/*') => ({ 'Fn::Join': ['', [arnOf(id), suffix]] });

describe('study key', () => {
  const keyStatements = () => (json(s.data).Resources[key].Properties!.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
  const logGroupsOf = (stack: string) => ({ 'Fn::Join': ['', ['arn:aws:logs:ap-northeast-2:', { Ref: 'AWS::AccountId' }, `:log-group:${stack}-*`]] });
  const trailArn = { 'Fn::Join': ['', ['arn:aws:cloudtrail:ap-northeast-2:', { Ref: 'AWS::AccountId' }, ':trail/readroom-example-audit']] };

  test('rotates', () => {
    expect(json(s.data).Resources[key].Properties?.EnableKeyRotation).toBe(true);
  });

  test('lets CloudWatch Logs use it only for the log groups of this study’s data and reading stacks', () => {
    expect(keyStatements().find((st) => st.Sid === 'AllowCloudWatchLogs')).toEqual({
      Sid: 'AllowCloudWatchLogs',
      Effect: 'Allow',
      Principal: { Service: 'logs.ap-northeast-2.amazonaws.com' },
      Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [logGroupsOf('ReadRoom-example-Data'), logGroupsOf('ReadRoom-example-Reading')] } },
    });
  });

  test('lets CloudTrail encrypt only for this study’s trail, and describe the key only for it', () => {
    expect(keyStatements().filter((st) => /CloudTrail/.test(String(st.Sid)))).toEqual([
      {
        Sid: 'AllowCloudTrail',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceArn': trailArn }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trailArn } },
      },
      {
        Sid: 'AllowCloudTrailDescribeKey',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:DescribeKey',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceArn': trailArn } },
      },
    ]);
    s.data.hasResourceProperties('AWS::CloudTrail::Trail', { TrailName: 'readroom-example-audit' });
  });

  test('grants no other service principal anything', () => {
    const services = keyStatements().flatMap((st) => [(st.Principal as { Service?: string } | undefined)?.Service ?? []].flat());
    expect(services.sort()).toEqual(['cloudtrail.amazonaws.com', 'cloudtrail.amazonaws.com', 'logs.ap-northeast-2.amazonaws.com']);
  });
});

describe('scans bucket', () => {
  test('is KMS-encrypted with the study key, versioned, private, owner-enforced and logged', () => {
    s.data.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(key) } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs }, LogFilePrefix: 'scans/' },
    });
    expect(json(s.data).Resources[scans].Properties?.BucketEncryption).toBeDefined();
  });

  test('expires old versions after the configured days, aborts stale uploads and removes session copies once no session can use them', () => {
    expect(json(s.data).Resources[scans].Properties?.LifecycleConfiguration).toEqual({
      Rules: [
        { NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' },
        { AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' },
        { Id: 'ExpireSessionCopies', Prefix: 'views/', ExpirationInDays: 1, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled' },
      ],
    });
  });

  test('session copies outlive the longest session the configuration allows (URL validity + maximum session length), in whole days', () => {
    const study = buildStudy();
    expect(viewCopyDays(study)).toBe(1); // 60 s + 4 h
    const long = { ...study, streamingUrlValiditySeconds: 600, fleet: { ...study.fleet, timeouts: { ...study.fleet.timeouts, maxUserDurationSeconds: 360_000 } } };
    expect(viewCopyDays(long)).toBe(5); // 100 h 10 min → 5 days
    expect(viewCopyDays({ ...long, streamingUrlValiditySeconds: 5 * 86_400 - 360_000 })).toBe(5); // exactly 5 days
    expect(viewCopyDays({ ...long, streamingUrlValiditySeconds: 5 * 86_400 - 360_000 + 1 })).toBe(6);
    // lib's prefix is the one the case-files function writes under.
    expect(VIEWS_PREFIX).toBe(CASE_FILES_VIEWS_PREFIX);
  });

  test('policy: TLS only, object reads only through the study S3 endpoint (exports excepted), no other account', () => {
    s.data.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: scans },
      PolicyDocument: {
        Statement: [
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: [arnOf(scans), objectsOf(scans)] },
          {
            Sid: 'DenyReadsOutsideStudyVpc',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            NotResource: objectsOf(scans, '/exports/*'),
            Condition: { StringNotEquals: { 'aws:SourceVpce': { Ref: endpoint } } },
          },
          {
            Sid: 'DenyOtherAccounts',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Resource: [arnOf(scans), objectsOf(scans)],
            Condition: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  test('the policy grants nothing: which principal reads what is decided by IAM', () => {
    const policy = Object.values(resourcesOfType(s.data, 'AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: scans }))!;
    const statements = (policy.Properties?.PolicyDocument as { Statement: Array<{ Effect: string }> }).Statement;
    expect(statements.every((st) => st.Effect === 'Deny')).toBe(true);
  });

  /** The S3 gateway endpoint's allow-list: what happens to the scans inside the VPC, and nothing more. */
  const s3EndpointStatements = () => [
    { Sid: 'ReadCases', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: objectsOf(scans, '/cases/*'), Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } } },
    {
      Sid: 'SessionCopies',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: objectsOf(scans, '/views/*'),
      Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
    },
    {
      Sid: 'ListCases',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 's3:ListBucket',
      Resource: arnOf(scans),
      Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } }, StringLike: { 's3:prefix': ['cases/*'] } },
    },
    {
      Sid: 'WriteExports',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
      Resource: objectsOf(scans, '/exports/*'),
      Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
    },
  ];

  test('the S3 gateway endpoint, on both isolated route tables, lets this account read and list cases, read and write session copies and write exports, nothing else', () => {
    s.data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      RouteTableIds: [
        { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'ReadRoom-example-Network', OutputName: Match.stringLikeRegexp('IsolatedSubnet1RouteTable') }) },
        { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'ReadRoom-example-Network', OutputName: Match.stringLikeRegexp('IsolatedSubnet2RouteTable') }) },
      ],
    });
    expect(json(s.data).Resources[endpoint].Properties?.PolicyDocument).toEqual({ Version: '2012-10-17', Statement: s3EndpointStatements() });
  });

  test('the image builder’s subnet is not routed through the S3 gateway endpoint', () => {
    const routeTables = JSON.stringify(json(s.data).Resources[endpoint].Properties?.RouteTableIds);
    expect(routeTables).not.toMatch(/Builder/);
    expect((json(s.data).Resources[endpoint].Properties?.RouteTableIds as unknown[]).length).toBe(2);
  });

  test('with an Elastic fleet the S3 endpoint also lets AppStream’s service role read the app block objects, and nothing else', () => {
    const elastic = synthStudy(VARIANTS.elastic());
    elastic.data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Sid: 'ReadCases' }),
          Match.objectLike({ Sid: 'SessionCopies' }),
          Match.objectLike({ Sid: 'ListCases' }),
          Match.objectLike({ Sid: 'WriteExports' }),
          {
            Sid: 'AppStreamAppBlocks',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:aws:sts::', { Ref: 'AWS::AccountId' }, ':assumed-role/AmazonAppStreamServiceAccess/AppStream2.0']] } },
            Action: 's3:GetObject',
            Resource: 'arn:aws:s3:::readroom-example-appblocks/*',
          },
        ],
      },
    });
  }, 30_000);
});

describe('access-log bucket', () => {
  test('has no ACLs (BucketOwnerEnforced): S3 delivers the scans and trail buckets’ logs under its policy, from this account only', () => {
    const [auditBucket] = Object.keys(resourcesOfType(s.data, 'AWS::S3::Bucket')).filter((k) => k.startsWith('AuditBucket'));
    // CloudFront's standard logs, which need ACLs, go to the portal's own bucket (test/infra/portal-hosting.test.ts).
    expect(json(s.data).Resources[accessLogs].Properties).toMatchObject({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
    expect(json(s.data).Resources[accessLogs].Properties?.AccessControl).toBeUndefined();
    const policy = Object.values(resourcesOfType(s.data, 'AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: accessLogs }))!;
    const delivery = (policy.Properties?.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement.filter((st) => JSON.stringify(st.Principal).includes('logging.s3') && st.Sid !== 'PortalAccessLogs');
    expect(delivery).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: objectsOf(accessLogs, '/scans/*'),
        Condition: { ArnLike: { 'aws:SourceArn': arnOf(scans) }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: objectsOf(accessLogs, '/trail/*'),
        Condition: { ArnLike: { 'aws:SourceArn': arnOf(auditBucket) }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  test('is private, versioned, SSE-S3 (the only encryption server access logging accepts) and TLS-only', () => {
    expect(json(s.data).Resources[accessLogs].Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' }] },
    });
    s.data.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: accessLogs },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': arnOf(scans) } }) }),
        ]),
      },
    });
  });
});

describe('reading table', () => {
  test('is on-demand, KMS-encrypted with the study key, with point-in-time recovery and deletion protection', () => {
    s.data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          Region: 'ap-northeast-2',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          SSESpecification: { KMSMasterKeyId: arnOf(key) },
        }),
      ],
    });
  });

  test('the DynamoDB gateway endpoint allows only item work on the study table by this account', () => {
    const table = onlyResource(s.data, 'AWS::DynamoDB::GlobalTable')[0];
    const actions = new Capture();
    s.data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
      PolicyDocument: {
        Statement: [
          {
            Sid: 'StudyTableOnly',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: actions,
            Resource: [arnOf(table), objectsOf(table, '/index/*')],
            Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
    // Exactly the union of the functions' grants (test/infra/function-access.test.ts pins those):
    // no DeleteItem, BatchWriteItem or TransactGetItems, which no function holds.
    expect(actions.asArray()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
  });
});

describe('reader directory', () => {
  test('admits administrator-created users only and requires TOTP MFA (no SMS)', () => {
    s.data.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
  });

  test('enforces a strong password policy, threat protection and deletion protection', () => {
    s.data.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: { PasswordPolicy: { MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 3 } },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      DeletionProtection: 'ACTIVE',
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
  });

  test('has one group per role', () => {
    s.data.resourceCountIs('AWS::Cognito::UserPoolGroup', 4);
    const pool = onlyResource(s.data, 'AWS::Cognito::UserPool')[0];
    for (const group of ['reader', 'adjudicator', 'coordinator', 'admin']) {
      s.data.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group, UserPoolId: { Ref: pool } });
    }
  });

  test('the portal client is public (no secret), signs in with SRP only (no hosted UI, no OAuth flow) and has short-lived tokens', () => {
    s.data.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    s.data.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlows: Match.absent(),
      AllowedOAuthFlowsUserPoolClient: false,
      CallbackURLs: Match.absent(),
      SupportedIdentityProviders: ['COGNITO'],
      AccessTokenValidity: 15,
      IdTokenValidity: 15,
      RefreshTokenValidity: 720,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    const flows = Object.values(resourcesOfType(s.data, 'AWS::Cognito::UserPoolClient'))[0].Properties?.ExplicitAuthFlows as string[];
    expect(flows).not.toContain('ALLOW_USER_PASSWORD_AUTH');
    expect(flows).not.toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
  });

  test('readers cannot change their own site or e-mail through the portal client (the same-site rule depends on it)', () => {
    const client = Object.values(resourcesOfType(s.data, 'AWS::Cognito::UserPoolClient'))[0].Properties!;
    expect(client.WriteAttributes).toEqual(['name']);
  });

  test('follows the study file: optional MFA, other token lifetime, no threat protection where the region lacks it', () => {
    const other = synthStudy(buildStudy({ readers: { mfa: 'OPTIONAL', tokenValidityMinutes: 30, threatProtection: false, groups: ['reader', 'coordinator'] } }));
    other.data.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'OPTIONAL', EnabledMfas: ['SOFTWARE_TOKEN_MFA'], UserPoolTier: 'ESSENTIALS' });
    expect(onlyResource(other.data, 'AWS::Cognito::UserPool')[1].Properties?.UserPoolAddOns).toBeUndefined();
    other.data.hasResourceProperties('AWS::Cognito::UserPoolClient', { AccessTokenValidity: 30, IdTokenValidity: 30 });
    other.data.resourceCountIs('AWS::Cognito::UserPoolGroup', 2);
  }, 30_000);
});

describe('audit trail', () => {
  test('records every read and write of the scans bucket, validates log files and encrypts with the study key', () => {
    const [auditBucket] = Object.keys(resourcesOfType(s.data, 'AWS::S3::Bucket')).filter((k) => k.startsWith('AuditBucket'));
    const logGroup = onlyResource(s.data, 'AWS::Logs::LogGroup')[0];
    s.data.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsLogging: true,
      EnableLogFileValidation: true,
      KMSKeyId: arnOf(key),
      S3BucketName: { Ref: auditBucket },
      IsMultiRegionTrail: false,
      CloudWatchLogsLogGroupArn: arnOf(logGroup),
      EventSelectors: Match.arrayWith([
        { IncludeManagementEvents: false, ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: [objectsOf(scans, '/')] }] },
      ]),
    });
    expect(json(s.data).Resources[logGroup].Properties).toMatchObject({ KmsKeyId: arnOf(key), RetentionInDays: 365 });
  });

  test('records every item read and write of the reading table, write management events and global service events', () => {
    const table = onlyResource(s.data, 'AWS::DynamoDB::GlobalTable')[0];
    const trail = onlyResource(s.data, 'AWS::CloudTrail::Trail')[1].Properties!;
    expect(trail).toMatchObject({ IncludeGlobalServiceEvents: true, IsMultiRegionTrail: false });
    expect(trail.EventSelectors).toEqual([
      { IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' },
      { IncludeManagementEvents: false, ReadWriteType: 'All', DataResources: [{ Type: 'AWS::S3::Object', Values: [objectsOf(scans, '/')] }] },
      { IncludeManagementEvents: false, ReadWriteType: 'All', DataResources: [{ Type: 'AWS::DynamoDB::Table', Values: [arnOf(table)] }] },
    ]);
  });

  test('delivers to CloudWatch Logs through its own role, whose customer-managed policy writes that log group only', () => {
    const logGroup = onlyResource(s.data, 'AWS::Logs::LogGroup')[0];
    const role = new Capture();
    s.data.hasResourceProperties('AWS::CloudTrail::Trail', { CloudWatchLogsRoleArn: { 'Fn::GetAtt': [role, 'Arn'] } });
    expect(json(s.data).Resources[role.asString()].Properties?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'cloudtrail.amazonaws.com' } }],
    });
    s.data.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: role.asString() }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf(logGroup) }] },
    });
    s.data.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('its bucket is KMS-encrypted, versioned, private and logged', () => {
    const auditBucket = Object.keys(resourcesOfType(s.data, 'AWS::S3::Bucket')).find((k) => k.startsWith('AuditBucket'))!;
    expect(json(s.data).Resources[auditBucket].Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(key) } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs }, LogFilePrefix: 'trail/' },
    });
  });
});

test('the trail refuses a key it cannot give CloudTrail its grant on (an imported key has no policy here)', () => {
  const stack = new Stack(createTestApp(), 'Trail', { env: { account: '111122223333', region: 'ap-northeast-2' } });
  const logs = new SecureBucket(stack, 'Logs', { receivesAccessLogs: true, removalPolicy: RemovalPolicy.RETAIN, singleRegionReason: 'test' });
  const make = (key: kms.IKey, id: string) =>
    new AuditTrail(stack, id, { trailName: id, watchedBuckets: [], watchedTables: [], encryptionKey: key, accessLogBucket: logs, logRetention: 365, removalPolicy: RemovalPolicy.RETAIN });
  expect(() => make(kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:ap-northeast-2:111122223333:key/00000000-0000-0000-0000-000000000000'), 'A')).toThrow(
    /AuditTrail Trail\/A: the trail's key must be one this app owns/,
  );
  expect(() => make(new kms.Key(stack, 'Owned'), 'B')).not.toThrow();
});

describe('budget', () => {
  test('is a monthly cost budget over the study tag with actual and forecast alerts per threshold', () => {
    const subscribers = [{ SubscriptionType: 'EMAIL', Address: 'reading-centre@example.org' }];
    s.data.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: { BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 3000, Unit: 'USD' }, CostFilters: { TagKeyValue: ['user:readroom:study$example'] } },
      NotificationsWithSubscribers: [80, 100].flatMap((Threshold) =>
        ['ACTUAL', 'FORECASTED'].map((NotificationType) => ({
          Notification: { ComparisonOperator: 'GREATER_THAN', NotificationType, Threshold, ThresholdType: 'PERCENTAGE' },
          Subscribers: subscribers,
        })),
      ),
    });
  });
});

test('outputs the bucket name, user pool id and portal client id', () => {
  const pool = onlyResource(s.data, 'AWS::Cognito::UserPool')[0];
  const client = onlyResource(s.data, 'AWS::Cognito::UserPoolClient')[0];
  s.data.hasOutput('ScansBucketName', { Value: { Ref: scans } });
  s.data.hasOutput('UserPoolId', { Value: { Ref: pool } });
  s.data.hasOutput('PortalClientId', { Value: { Ref: client } });
});

test('has no inline IAM policy anywhere', () => {
  s.data.resourceCountIs('AWS::IAM::Policy', 0);
  for (const role of Object.values(resourcesOfType(s.data, 'AWS::IAM::Role'))) expect(role.Properties?.Policies).toBeUndefined();
});

test('tags every taggable resource with the study id and the configured tags', () => {
  expectStudyTags(s.stacks.data, s.study);
});

describe('directory endpoint (bulk assignment reads the reader group from inside the isolated VPC)', () => {
  const COGNITO = 'com.amazonaws.ap-northeast-2.cognito-idp';

  test('one cognito-idp interface endpoint with private DNS, in the study network\'s endpoint group', () => {
    const endpoints = Object.values(resourcesOfType(s.data, 'AWS::EC2::VPCEndpoint')).filter((e) => JSON.stringify(e.Properties?.ServiceName) === JSON.stringify(COGNITO));
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0].Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    expect(JSON.stringify(endpoints[0].Properties?.SecurityGroupIds)).toMatch(/EndpointSecurityGroup/);
  });

  test('its policy allows ListUsersInGroup on this study\'s pool, by this account, and nothing else', () => {
    const pool = onlyResource(s.data, 'AWS::Cognito::UserPool')[0];
    s.data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: COGNITO,
      PolicyDocument: {
        Statement: [
          {
            Sid: 'ReaderGroupOfThisPoolOnly',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 'cognito-idp:ListUsersInGroup',
            Resource: arnOf(pool),
            Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('the pool has no domain: Cognito refuses requests through an interface endpoint for a pool with one', () => {
    expect(Object.keys(resourcesOfType(s.data, 'AWS::Cognito::UserPoolDomain'))).toEqual([]);
  });
});
