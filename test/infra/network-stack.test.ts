/**
 * The study network: private isolated subnets in two zones, no way to the internet, flow logs with
 * KMS, the default security group closed, workload security groups with no ingress and HTTPS egress
 * to the endpoints only, and endpoint policies scoped to the study.
 */
import { Capture, Match } from 'aws-cdk-lib/assertions';
import { buildStudy } from '../helpers/studies';
import { SynthesizedStudy, synthStudy } from '../helpers/test-app';
import { expectStudyTags } from '../helpers/tags';
import { json, onlyResource, resourcesOfType } from '../helpers/template';

let s: SynthesizedStudy;
beforeAll(() => {
  s = synthStudy(buildStudy());
}, 60_000);

describe('VPC', () => {
  test('uses the configured CIDR and has exactly two subnets, both isolated, in the two configured zones', () => {
    s.network.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.40.0.0/20' });
    s.network.resourceCountIs('AWS::EC2::Subnet', 2);
    const zones = Object.values(resourcesOfType(s.network, 'AWS::EC2::Subnet')).map((r) => r.Properties?.AvailabilityZone);
    expect(zones.sort()).toEqual(['ap-northeast-2a', 'ap-northeast-2c']);
    s.network.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    expect(s.stacks.network.network.vpc.isolatedSubnets).toHaveLength(2);
    expect(s.stacks.network.network.vpc.publicSubnets).toHaveLength(0);
    expect(s.stacks.network.network.vpc.privateSubnets).toHaveLength(0);
  });

  test('has no NAT gateway, internet gateway, egress-only gateway or route out', () => {
    for (const type of ['AWS::EC2::NatGateway', 'AWS::EC2::InternetGateway', 'AWS::EC2::VPCGatewayAttachment', 'AWS::EC2::EgressOnlyInternetGateway', 'AWS::EC2::Route', 'AWS::EC2::TransitGatewayAttachment', 'AWS::EC2::VPCPeeringConnection']) {
      s.network.resourceCountIs(type, 0);
    }
  });

  test('logs all traffic to a KMS-encrypted log group with the configured retention', () => {
    const [keyId, key] = onlyResource(s.network, 'AWS::KMS::Key');
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    const groupId = Object.keys(resourcesOfType(s.network, 'AWS::Logs::LogGroup')).find((k) => k.startsWith('NetworkFlowLogs'))!;
    expect(json(s.network).Resources[groupId].Properties).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] }, RetentionInDays: 365 });
    const role = new Capture();
    s.network.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      ResourceId: { Ref: Match.stringLikeRegexp('^NetworkVpc') },
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: groupId },
      DeliverLogsPermissionArn: { 'Fn::GetAtt': [role, 'Arn'] },
    });
    // The delivery role: trusted by the flow-logs service of this account only, writing that one group.
    s.network.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })],
      },
    });
    s.network.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: role.asString() }],
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [groupId, 'Arn'] } }],
      },
    });
    // The key lets CloudWatch Logs use it only for log groups of this account and region.
    s.network.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogs',
            Principal: { Service: 'logs.ap-northeast-2.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  test('closes the default security group', () => {
    s.network.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    s.network.hasResourceProperties('Custom::VpcRestrictDefaultSG', {
      DefaultSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkVpc'), 'DefaultSecurityGroup'] },
    });
  });
});

describe('security groups', () => {
  const sgId = (name: 'fleetSecurityGroup' | 'functionSecurityGroup'): string =>
    s.stacks.network.resolve(s.stacks.network.network[name].securityGroupId)['Fn::GetAtt'][0];
  const endpointSg = () => Object.keys(resourcesOfType(s.network, 'AWS::EC2::SecurityGroup')).find((k) => k.startsWith('NetworkEndpointSecurityGroup'))!;

  test.each(['fleetSecurityGroup', 'functionSecurityGroup'] as const)('%s has no ingress at all', (name) => {
    const group = sgId(name);
    expect(json(s.network).Resources[group].Properties?.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(resourcesOfType(s.network, 'AWS::EC2::SecurityGroupIngress')).filter((r) => JSON.stringify(r.Properties?.GroupId).includes(group));
    expect(ingress).toEqual([]);
  });

  test.each(['fleetSecurityGroup', 'functionSecurityGroup'] as const)('%s only sends HTTPS, to the endpoint group and the two gateway prefix lists', (name) => {
    const group = sgId(name);
    expect(json(s.network).Resources[group].Properties?.SecurityGroupEgress).toBeUndefined(); // no allow-all default
    const egress = Object.values(resourcesOfType(s.network, 'AWS::EC2::SecurityGroupEgress')).filter((r) => JSON.stringify(r.Properties?.GroupId).includes(group));
    expect(egress).toHaveLength(3);
    for (const rule of egress) expect(rule.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(egress.map((r) => r.Properties?.DestinationSecurityGroupId).filter(Boolean)).toEqual([{ 'Fn::GetAtt': [endpointSg(), 'GroupId'] }]);
    const prefixLists = egress.map((r) => r.Properties?.DestinationPrefixListId).filter(Boolean);
    expect(prefixLists).toEqual([0, 1].map((i) => ({ 'Fn::GetAtt': [expect.stringMatching(/^NetworkGatewayPrefixLists/), `PrefixLists.${i}.PrefixListId`] })));
    expect(egress.some((r) => r.Properties?.CidrIp !== undefined || r.Properties?.CidrIpv6 !== undefined)).toBe(false);
  });

  test('the endpoint group admits HTTPS from the two workload groups only and sends nothing', () => {
    const group = endpointSg();
    const ingress = Object.values(resourcesOfType(s.network, 'AWS::EC2::SecurityGroupIngress')).filter((r) => JSON.stringify(r.Properties?.GroupId).includes(group));
    expect(ingress.map((r) => r.Properties?.SourceSecurityGroupId)).toEqual([
      { 'Fn::GetAtt': [sgId('fleetSecurityGroup'), 'GroupId'] },
      { 'Fn::GetAtt': [sgId('functionSecurityGroup'), 'GroupId'] },
    ]);
    for (const rule of ingress) expect(rule.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    // CDK's marker for "no egress": a rule that matches nothing.
    s.network.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('interface endpoints'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
  });

  test('the gateway prefix lists are read at deploy time, with a read-only permission', () => {
    s.network.hasResourceProperties('Custom::AWS', { Create: Match.stringLikeRegexp('describeManagedPrefixLists') });
    s.network.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeManagedPrefixLists', Resource: '*' }] },
    });
  });
});

describe('interface endpoints', () => {
  test('exist for the AppStream API and execute-api only, in the isolated subnets, with private DNS', () => {
    const endpoints = Object.values(resourcesOfType(s.network, 'AWS::EC2::VPCEndpoint'));
    expect(endpoints.map((e) => e.Properties?.ServiceName).sort()).toEqual(['com.amazonaws.ap-northeast-2.appstream.api', 'com.amazonaws.ap-northeast-2.execute-api']);
    const subnets = Object.keys(resourcesOfType(s.network, 'AWS::EC2::Subnet')).map((k) => ({ Ref: k }));
    for (const e of endpoints) {
      expect(e.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
      expect(e.Properties?.SubnetIds).toEqual(subnets);
    }
  });

  test('the AppStream endpoint allows only streaming calls on this study fleet and stack, from this account', () => {
    s.network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.ap-northeast-2.appstream.api',
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: ['appstream:CreateStreamingURL', 'appstream:DescribeSessions'],
            Resource: [
              { 'Fn::Join': ['', ['arn:aws:appstream:ap-northeast-2:', { Ref: 'AWS::AccountId' }, ':fleet/readroom-example-fleet']] },
              { 'Fn::Join': ['', ['arn:aws:appstream:ap-northeast-2:', { Ref: 'AWS::AccountId' }, ':stack/readroom-example']] },
            ],
            Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  test('the execute-api endpoint allows only Invoke on this account and region', () => {
    s.network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.ap-northeast-2.execute-api',
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 'execute-api:Invoke',
            Resource: { 'Fn::Join': ['', ['arn:aws:execute-api:ap-northeast-2:', { Ref: 'AWS::AccountId' }, ':*']] },
            Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });
});

test('tags every taggable resource with the study id and the configured tags', () => {
  expectStudyTags(s.stacks.network, s.study);
});
