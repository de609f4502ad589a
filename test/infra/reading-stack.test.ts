/**
 * The stateless stack: the AppStream fleet, stack and association with the "no data path out"
 * profile, scaling from the study's grading windows, usage reports and the optional image builder.
 * cdk-nag has no AppStream rules: these assertions are those rules.
 */
import { Capture, Match } from 'aws-cdk-lib/assertions';
import { VARIANTS, buildStudy } from '../helpers/studies';
import { SynthesizedStudy, synthStudy } from '../helpers/test-app';
import { expectStudyTags } from '../helpers/tags';
import { CfnTemplateJson, json, onlyResource, referencedLogicalId, resourcesOfType } from '../helpers/template';
import { TRANSFER_ACTIONS } from '../helpers/no-data-path-out';

let s: SynthesizedStudy;
let elastic: SynthesizedStudy;
let fleetId: string;
let stackId: string;
beforeAll(() => {
  s = synthStudy(buildStudy());
  elastic = synthStudy(VARIANTS.elastic());
  fleetId = onlyResource(s.reading, 'AWS::AppStream::Fleet')[0];
  stackId = onlyResource(s.reading, 'AWS::AppStream::Stack')[0];
}, 60_000);

const templatesOf = (x: SynthesizedStudy): Record<string, CfnTemplateJson> => ({
  [x.stacks.network.stackName]: json(x.network),
  [x.stacks.data.stackName]: json(x.data),
  [x.stacks.reading.stackName]: json(x.reading),
});

describe('fleet', () => {
  test('has no internet access, IMDSv1 off, the configured type, image, size and timeouts', () => {
    s.reading.hasResourceProperties('AWS::AppStream::Fleet', {
      Name: 'readroom-example-fleet',
      FleetType: 'ALWAYS_ON',
      InstanceType: 'stream.standard.medium',
      ImageName: 'readroom-viewer-2026-11',
      EnableDefaultInternetAccess: false,
      DisableIMDSV1: true,
      StreamView: 'APP',
      ComputeCapacity: { DesiredInstances: 1 },
      IdleDisconnectTimeoutInSeconds: 900,
      DisconnectTimeoutInSeconds: 900,
      MaxUserDurationInSeconds: 14400,
    });
  });

  test('is started by CloudFormation on deploy (CreationPolicy StartFleet)', () => {
    s.reading.hasResource('AWS::AppStream::Fleet', { CreationPolicy: { StartFleet: true } });
  });

  test('runs in the study VPC’s isolated subnets with the fleet security group', () => {
    const subnets = new Capture();
    const groups = new Capture();
    s.reading.hasResourceProperties('AWS::AppStream::Fleet', { VpcConfig: { SubnetIds: subnets, SecurityGroupIds: groups } });
    const templates = templatesOf(s);
    const network = s.stacks.network;
    const isolated = network.network.vpc.isolatedSubnets.map((subnet) => network.resolve(subnet.subnetId).Ref as string);
    expect(isolated).toHaveLength(2);
    expect(subnets.asArray().map((v) => referencedLogicalId(v, templates))).toEqual(isolated);
    for (const id of isolated) expect(json(s.network).Resources[id].Type).toBe('AWS::EC2::Subnet');
    const fleetSg = network.resolve(network.network.fleetSecurityGroup.securityGroupId)['Fn::GetAtt'][0];
    expect(groups.asArray().map((v) => referencedLogicalId(v, templates))).toEqual([fleetSg]);
  });

  test('assumes its own role, which carries no policy at all and no S3 permission in particular', () => {
    const role = new Capture();
    s.reading.hasResourceProperties('AWS::AppStream::Fleet', { IamRoleArn: { 'Fn::GetAtt': [role, 'Arn'] } });
    const r = json(s.reading).Resources[role.asString()];
    expect(r.Type).toBe('AWS::IAM::Role');
    // Only AppStream acting for this fleet of this account (confused-deputy conditions).
    expect(r.Properties?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'appstream.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnEquals: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:aws:appstream:ap-northeast-2:', { Ref: 'AWS::AccountId' }, ':fleet/readroom-example-fleet']] } },
          },
        },
      ],
    });
    expect(r.Properties?.Policies).toBeUndefined();
    expect(r.Properties?.ManagedPolicyArns).toBeUndefined();
    const attached = Object.values(json(s.reading).Resources).filter(
      (p) => (p.Type === 'AWS::IAM::Policy' || p.Type === 'AWS::IAM::ManagedPolicy') && JSON.stringify(p.Properties?.Roles ?? []).includes(role.asString()),
    );
    const s3Actions = attached.flatMap((p) => JSON.stringify(p.Properties?.PolicyDocument).match(/"s3:[A-Za-z*]+"|"\*"/g) ?? []);
    expect(s3Actions).toEqual([]);
  });
});

describe('AppStream stack', () => {
  test('disables every user setting that moves data, explicitly (AppStream enables what is omitted)', () => {
    const settings = new Capture();
    s.reading.hasResourceProperties('AWS::AppStream::Stack', { UserSettings: settings });
    expect(settings.asArray()).toHaveLength(TRANSFER_ACTIONS.length);
    expect(settings.asArray()).toEqual(expect.arrayContaining(TRANSFER_ACTIONS.map((Action) => ({ Action, Permission: 'DISABLED' }))));
  });

  test('has no storage connector, no application-settings persistence, the portal as embed host and return page', () => {
    s.reading.hasResourceProperties('AWS::AppStream::Stack', {
      Name: 'readroom-example',
      StorageConnectors: [],
      ApplicationSettings: { Enabled: false },
      // The portal's distribution (the example has no custom domain: test/infra/portal-hosting.test.ts has both).
      EmbedHostDomains: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^PortalDistribution'), 'DomainName'] }],
      RedirectURL: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^PortalDistribution'), 'DomainName'] }, '/']] },
    });
  });

  test('a study that allows paste-in enables only CLIPBOARD_COPY_FROM_LOCAL_DEVICE, with a length cap', () => {
    const pasteIn = synthStudy(buildStudy({ fleet: { allowPasteIn: true } }));
    const settings = new Capture();
    pasteIn.reading.hasResourceProperties('AWS::AppStream::Stack', { UserSettings: settings });
    expect(settings.asArray()).toEqual(
      TRANSFER_ACTIONS.map((Action) =>
        Action === 'CLIPBOARD_COPY_FROM_LOCAL_DEVICE' ? { Action, Permission: 'ENABLED', MaximumLength: 1000 } : { Action, Permission: 'DISABLED' },
      ),
    );
  }, 30_000);

  test('the association depends on both the fleet and the stack, so deletes run in order', () => {
    s.reading.hasResource('AWS::AppStream::StackFleetAssociation', {
      Properties: { FleetName: 'readroom-example-fleet', StackName: 'readroom-example' },
      DependsOn: Match.arrayWith([fleetId, stackId]),
    });
  });
});

describe('scaling', () => {
  test('registers the fleet between the configured minimum and maximum, after the fleet exists', () => {
    s.reading.hasResource('AWS::ApplicationAutoScaling::ScalableTarget', {
      Properties: Match.objectLike({
        ServiceNamespace: 'appstream',
        ResourceId: 'fleet/readroom-example-fleet',
        ScalableDimension: 'appstream:fleet:DesiredCapacity',
        MinCapacity: 0,
        MaxCapacity: 35,
      }),
      DependsOn: Match.arrayWith([fleetId]),
    });
  });

  test('tracks capacity utilisation at the configured target', () => {
    const target = onlyResource(s.reading, 'AWS::ApplicationAutoScaling::ScalableTarget')[0];
    s.reading.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: target },
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'AppStreamAverageCapacityUtilization' },
        TargetValue: 75,
        ScaleOutCooldown: 120,
        ScaleInCooldown: 900,
      },
    });
  });

  test('raises the floor for each grading window and drops it back to the minimum at its end, in the study time zone', () => {
    s.reading.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScheduledActions: [
        { ScheduledActionName: 'weekend-start', Schedule: 'cron(0 8 ? * SAT,SUN *)', Timezone: 'Asia/Seoul', ScalableTargetAction: { MinCapacity: 25 } },
        { ScheduledActionName: 'weekend-end', Schedule: 'cron(0 20 ? * SAT,SUN *)', Timezone: 'Asia/Seoul', ScalableTargetAction: { MinCapacity: 0 } },
        { ScheduledActionName: 'weekday-evening-start', Schedule: 'cron(0 18 ? * MON,TUE,WED,THU,FRI *)', Timezone: 'Asia/Seoul', ScalableTargetAction: { MinCapacity: 8 } },
        { ScheduledActionName: 'weekday-evening-end', Schedule: 'cron(0 22 ? * MON,TUE,WED,THU,FRI *)', Timezone: 'Asia/Seoul', ScalableTargetAction: { MinCapacity: 0 } },
      ],
    });
  });

  test('follows another schedule, time zone and minimum from the study file', () => {
    const other = synthStudy(
      buildStudy({
        fleet: { type: 'ON_DEMAND', minCapacity: 2, scheduleTimeZone: 'Europe/Berlin', schedule: [{ name: 'morning', days: ['TUE'], start: '09:30', end: '12:15', capacity: 10 }] },
      }),
    );
    other.reading.hasResourceProperties('AWS::AppStream::Fleet', { FleetType: 'ON_DEMAND', ComputeCapacity: { DesiredInstances: 2 } });
    other.reading.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      ScheduledActions: [
        { ScheduledActionName: 'morning-start', Schedule: 'cron(30 9 ? * TUE *)', Timezone: 'Europe/Berlin', ScalableTargetAction: { MinCapacity: 10 } },
        { ScheduledActionName: 'morning-end', Schedule: 'cron(15 12 ? * TUE *)', Timezone: 'Europe/Berlin', ScalableTargetAction: { MinCapacity: 2 } },
      ],
    });
  }, 30_000);
});

describe('usage reports', () => {
  test('are switched on by a deploy-time call that may do nothing else', () => {
    const policy = new Capture();
    s.reading.hasResource('Custom::AWS', {
      Properties: Match.objectLike({ Create: Match.serializedJson(Match.objectLike({ service: 'AppStream', action: 'createUsageReportSubscription' })) }),
      DependsOn: [policy],
    });
    expect(json(s.reading).Resources[policy.asString()].Properties?.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'appstream:CreateUsageReportSubscription', Resource: '*' }],
    });
  });

  test('the deploy-time function logs to an encrypted group and its role has no AWS-managed or inline policy', () => {
    const [, fn] = Object.entries(resourcesOfType(s.reading, 'AWS::Lambda::Function')).find(([k]) => k.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))!;
    const group = (fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(json(s.reading).Resources[group].Properties).toMatchObject({ KmsKeyId: { 'Fn::GetStackOutput': expect.objectContaining({ StackName: 'ReadRoom-example-Data' }) }, RetentionInDays: 365 });
    const role = json(s.reading).Resources[(fn.Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]];
    expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties?.Policies).toBeUndefined();
  });
});

describe('image builder', () => {
  test('is in its own subnet with its own security group (never the fleet’s), no internet access and IMDSv1 off', () => {
    const subnets = new Capture();
    const groups = new Capture();
    s.reading.hasResourceProperties('AWS::AppStream::ImageBuilder', {
      Name: 'readroom-example-builder',
      InstanceType: 'stream.standard.medium',
      ImageName: 'AppStream-WinServer2022-11-04-2026',
      EnableDefaultInternetAccess: false,
      DisableIMDSV1: true,
      VpcConfig: { SubnetIds: subnets, SecurityGroupIds: groups },
    });
    const network = s.stacks.network;
    const idOf = (token: string) => Object.values(network.resolve(token) as Record<string, unknown>).flat()[0];
    expect(subnets.asArray().map((v) => referencedLogicalId(v, templatesOf(s)))).toEqual([idOf(network.network.builderSubnet!.subnetId)]);
    expect(groups.asArray().map((v) => referencedLogicalId(v, templatesOf(s)))).toEqual([idOf(network.network.builderSecurityGroup!.securityGroupId)]);
    const isolated = network.network.vpc.isolatedSubnets.map((subnet) => network.resolve(subnet.subnetId).Ref);
    expect(isolated).not.toContain(idOf(network.network.builderSubnet!.subnetId));
  });

  test('is absent when the study file has none', () => {
    const none = synthStudy(buildStudy({ imageBuilder: undefined }));
    none.reading.resourceCountIs('AWS::AppStream::ImageBuilder', 0);
  }, 30_000);
});

describe('Elastic fleet', () => {
  test('runs the viewer from an app block, on two isolated subnets, with the same no-internet profile', () => {
    const subnets = new Capture();
    elastic.reading.hasResourceProperties('AWS::AppStream::Fleet', {
      FleetType: 'ELASTIC',
      Platform: 'AMAZON_LINUX2',
      MaxConcurrentSessions: 30,
      EnableDefaultInternetAccess: false,
      DisableIMDSV1: true,
      VpcConfig: { SubnetIds: subnets, SecurityGroupIds: [Match.anyValue()] },
    });
    expect(subnets.asArray()).toHaveLength(2);
    const [, fleet] = onlyResource(elastic.reading, 'AWS::AppStream::Fleet');
    expect(fleet.Properties?.ImageName).toBeUndefined();
    expect(fleet.Properties?.ComputeCapacity).toBeUndefined();
    expect(fleet.CreationPolicy).toBeUndefined();
    elastic.reading.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('has the app block, the application and their association with the fleet', () => {
    const elasticFleet = onlyResource(elastic.reading, 'AWS::AppStream::Fleet')[0];
    const block = onlyResource(elastic.reading, 'AWS::AppStream::AppBlock')[0];
    const app = onlyResource(elastic.reading, 'AWS::AppStream::Application')[0];
    elastic.reading.hasResourceProperties('AWS::AppStream::AppBlock', {
      Name: 'readroom-example-viewer-block',
      SourceS3Location: { S3Bucket: 'readroom-example-appblocks', S3Key: 'viewer/viewer.vhdx' },
      SetupScriptDetails: { ScriptS3Location: { S3Bucket: 'readroom-example-appblocks', S3Key: 'viewer/setup.sh' }, ExecutablePath: '/usr/bin/bash', TimeoutInSeconds: 600 },
    });
    elastic.reading.hasResourceProperties('AWS::AppStream::Application', {
      Name: 'readroom-example-viewer',
      AppBlockArn: { 'Fn::GetAtt': [block, 'Arn'] },
      LaunchPath: '/opt/viewer/bin/viewer',
      Platforms: ['AMAZON_LINUX2'],
    });
    elastic.reading.hasResource('AWS::AppStream::ApplicationFleetAssociation', {
      Properties: { ApplicationArn: { 'Fn::GetAtt': [app, 'Arn'] }, FleetName: 'readroom-example-fleet' },
      DependsOn: [elasticFleet],
    });
  });
});

test('outputs the fleet name and the AppStream stack name', () => {
  s.reading.hasOutput('FleetName', { Value: 'readroom-example-fleet' });
  s.reading.hasOutput('AppStreamStackName', { Value: 'readroom-example' });
});

test('tags every taggable resource with the study id and the configured tags', () => {
  expectStudyTags(s.stacks.reading, s.study);
  expectStudyTags(elastic.stacks.reading, elastic.study);
});
