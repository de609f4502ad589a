/**
 * Stateful resources keep their logical ids (a changed id replaces the resource: a new, empty
 * bucket or user pool) and follow the study's retention: Retain (and termination protection on the
 * data stack) for `retain`, Delete for `destroy`. If one of these ids changes on purpose, plan the
 * migration first; never just update the test.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { StudyStacks } from '../../lib/stacks';
import { VARIANTS } from '../helpers/studies';
import { SynthesizedStudy, synthStudy } from '../helpers/test-app';
import { json } from '../helpers/template';

/** [stack, logical id, type, what it holds]. */
const STATEFUL: ReadonlyArray<[keyof StudyStacks, string, string, string]> = [
  ['data', 'Key961B73FD', 'AWS::KMS::Key', 'study key (scans, table, trail, logs)'],
  ['data', 'ScansDD19264D', 'AWS::S3::Bucket', 'de-identified scans'],
  ['data', 'ScansAccessLogs207C58EB', 'AWS::S3::Bucket', 'server access logs'],
  ['data', 'AuditBucket7486E833', 'AWS::S3::Bucket', 'CloudTrail files'],
  ['data', 'AuditLogsA35F3E1F', 'AWS::Logs::LogGroup', 'CloudTrail in CloudWatch Logs'],
  ['data', 'ReadingTable75A9E2F0', 'AWS::DynamoDB::GlobalTable', 'reading state'],
  ['data', 'ReadersUserPool0C7605FE', 'AWS::Cognito::UserPool', 'reader accounts'],
  ['network', 'NetworkFlowLogKeyF785E5F9', 'AWS::KMS::Key', 'flow-log key'],
  ['network', 'NetworkFlowLogs2BEC3212', 'AWS::Logs::LogGroup', 'VPC flow logs'],
  ['network', 'NetworkDnsFirewallQueryLogs0B68E90D', 'AWS::Logs::LogGroup', 'DNS query logs'],
];

let retained: SynthesizedStudy;
let destroyed: SynthesizedStudy;
beforeAll(() => {
  retained = synthStudy(VARIANTS.example());
  destroyed = synthStudy(VARIANTS.destroy());
}, 60_000);

describe.each(STATEFUL)('%s %s (%s: %s)', (stack, logicalId, type) => {
  test('keeps its logical id and is retained with a `retain` study', () => {
    (retained[stack] as Template).hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(json(retained[stack] as Template).Resources[logicalId]).toMatchObject({ Type: type, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('is deleted with a `destroy` study', () => {
    expect(json(destroyed[stack] as Template).Resources[logicalId]).toMatchObject({ Type: type, DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });
});

/**
 * Not stateful, but what clients hold on to: the HTTP API's id is in the portal's API URL, the
 * private fleet API's in the URL the viewer image calls, and the portal client's id is the portal's
 * OAuth client id and the authorizer's audience. A changed logical id replaces the resource and
 * silently breaks every deployed client, so these are pinned like the stores above.
 */
const CLIENT_FACING: ReadonlyArray<[keyof StudyStacks, string, string, string]> = [
  ['reading', 'ApiHttpApi4C294DC0', 'AWS::ApiGatewayV2::Api', 'reading workflow API (portal)'],
  ['reading', 'ApiFleetApiB83C51B3', 'AWS::ApiGateway::RestApi', 'private fleet API (viewer on the streaming instances)'],
  ['data', 'ReadersUserPoolPortalClient7765495F', 'AWS::Cognito::UserPoolClient', 'portal OAuth client (authorizer audience)'],
];

describe.each(CLIENT_FACING)('%s %s (%s: %s)', (stack, logicalId, type) => {
  test('keeps its logical id, and is the only one of its type', () => {
    for (const study of [retained, destroyed]) {
      const resources = json(study[stack] as Template).Resources;
      expect(Object.entries(resources).filter(([, r]) => r.Type === type).map(([id]) => id)).toEqual([logicalId]);
    }
  });
});

test('the list covers every key, bucket, table, user pool and audit log group of the stateful stacks', () => {
  const statefulTypes = new Set(STATEFUL.map(([, , type]) => type));
  for (const stack of ['network', 'data'] as const) {
    const found = Object.entries(json(retained[stack]).Resources)
      .filter(([, r]) => statefulTypes.has(r.Type))
      // Logs of deploy-time functions are stateless (they go with their stack).
      .filter(([id]) => !id.startsWith('SdkCallProviderLogs'))
      .map(([id]) => id);
    expect(found.sort()).toEqual(STATEFUL.filter(([s]) => s === stack).map(([, id]) => id).sort());
  }
});

test('a `retain` study protects its data: deletion protection on the table and user pool, no auto-delete of objects', () => {
  const r = json(retained.data).Resources;
  expect(r.ReadersUserPool0C7605FE.Properties?.DeletionProtection).toBe('ACTIVE');
  expect((r.ReadingTable75A9E2F0.Properties?.Replicas as Array<Record<string, unknown>>)[0].DeletionProtectionEnabled).toBe(true);
  retained.data.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
});

test('a `destroy` study can be deleted: no deletion protection, bucket objects removed with the stack', () => {
  const r = json(destroyed.data).Resources;
  expect(r.ReadersUserPool0C7605FE.Properties?.DeletionProtection).toBe('INACTIVE');
  expect((r.ReadingTable75A9E2F0.Properties?.Replicas as Array<Record<string, unknown>>)[0].DeletionProtectionEnabled).toBe(false);
  destroyed.data.resourceCountIs('Custom::S3AutoDeleteObjects', 3);
});

test('termination protection is on for the data stack of a `retain` study only', () => {
  expect(retained.stacks.data.terminationProtection).toBe(true);
  expect(retained.stacks.network.terminationProtection).toBe(false);
  expect(retained.stacks.reading.terminationProtection).toBe(false);
  expect(destroyed.stacks.data.terminationProtection).toBe(false);
  const manifest = retained.app.synth().getStackArtifact(retained.stacks.data.artifactId);
  expect(manifest.terminationProtection).toBe(true);
});
