/**
 * The study network: private isolated subnets in two zones, no way to the internet, flow logs with
 * KMS, the default security group closed, workload security groups with no ingress and HTTPS egress
 * to the endpoints only, and endpoint policies scoped to the study.
 */
import { Capture, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { addStudy } from '../../lib/stacks';
import { builderSubnetCidr } from '../../lib/constructs';
import { VARIANTS, buildStudy } from '../helpers/studies';
import { createTestApp } from '../helpers/test-app';
import { SynthesizedStudy, synthStudy } from '../helpers/test-app';
import { expectStudyTags } from '../helpers/tags';
import { json, onlyResource, resourcesOfType } from '../helpers/template';

let s: SynthesizedStudy;
beforeAll(() => {
  s = synthStudy(buildStudy());
}, 60_000);

describe('VPC', () => {
  test('uses the configured CIDR and has two isolated subnets in the two configured zones, and the image builder’s', () => {
    s.network.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.40.0.0/20' });
    const subnets = Object.entries(resourcesOfType(s.network, 'AWS::EC2::Subnet')).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r.Properties?.CidrBlock, r.Properties?.AvailabilityZone]);
    expect(subnets.sort()).toEqual([
      ['NetworkBuilderSubnet', '10.40.8.0/28', 'ap-northeast-2a'],
      ['NetworkVpcIsolatedSubnet1Subnet', '10.40.0.0/22', 'ap-northeast-2a'],
      ['NetworkVpcIsolatedSubnet2Subnet', '10.40.4.0/22', 'ap-northeast-2c'],
    ]);
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
    // The key lets CloudWatch Logs use it only for this stack's log groups (CloudFormation names them <stack>-<logical id>-<random>).
    s.network.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogs',
            Principal: { Service: 'logs.ap-northeast-2.amazonaws.com' },
            Condition: {
              ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [{ 'Fn::Join': ['', ['arn:aws:logs:ap-northeast-2:', { Ref: 'AWS::AccountId' }, ':log-group:ReadRoom-example-Network-*']] }] },
            },
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

  /** The deploy-time lookup of one gateway's prefix list, by the custom resource's logical id prefix. */
  const prefixList = (name: 'S3' | 'DynamoDb') => ({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^Network${name}PrefixList`)), 'PrefixLists.0.PrefixListId'] });
  const egressOf = (group: string) => Object.values(resourcesOfType(s.network, 'AWS::EC2::SecurityGroupEgress')).filter((r) => JSON.stringify(r.Properties?.GroupId).includes(group));

  test.each([
    ['fleetSecurityGroup', ['S3']],
    ['functionSecurityGroup', ['S3', 'DynamoDb']],
  ] as const)('%s only sends HTTPS, to the endpoint group and the %j gateway prefix lists', (name, lists) => {
    const group = sgId(name);
    expect(json(s.network).Resources[group].Properties?.SecurityGroupEgress).toBeUndefined(); // no allow-all default
    const egress = egressOf(group);
    expect(egress).toHaveLength(1 + lists.length);
    for (const rule of egress) expect(rule.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(egress.map((r) => r.Properties?.DestinationSecurityGroupId).filter(Boolean)).toEqual([{ 'Fn::GetAtt': [endpointSg(), 'GroupId'] }]);
    expect(egress.map((r) => r.Properties?.DestinationPrefixListId).filter(Boolean)).toEqual(lists.map(prefixList));
    expect(egress.some((r) => r.Properties?.CidrIp !== undefined || r.Properties?.CidrIpv6 !== undefined)).toBe(false);
  });

  test('the fleet cannot reach DynamoDB: the fleet never calls it', () => {
    expect(JSON.stringify(egressOf(sgId('fleetSecurityGroup')))).not.toMatch(/DynamoDb/);
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

  test('each gateway prefix list is read at deploy time by its own name (the API promises no order), with a read-only permission', () => {
    const calls = Object.entries(resourcesOfType(s.network, 'Custom::AWS')).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), JSON.parse(r.Properties?.Create as string)]);
    expect(calls.map(([id, call]) => [id, call.action, call.parameters.Filters])).toEqual([
      ['NetworkS3PrefixList', 'describeManagedPrefixLists', [{ Name: 'prefix-list-name', Values: ['com.amazonaws.ap-northeast-2.s3'] }]],
      ['NetworkDynamoDbPrefixList', 'describeManagedPrefixLists', [{ Name: 'prefix-list-name', Values: ['com.amazonaws.ap-northeast-2.dynamodb'] }]],
    ]);
    s.network.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeManagedPrefixLists', Resource: '*' }] },
    });
  });
});

describe('interface endpoints', () => {
  test('exist for the AppStream API and execute-api only, in the isolated subnets, with private DNS', () => {
    const endpoints = Object.values(resourcesOfType(s.network, 'AWS::EC2::VPCEndpoint'));
    expect(endpoints.map((e) => e.Properties?.ServiceName).sort()).toEqual(['com.amazonaws.ap-northeast-2.appstream.api', 'com.amazonaws.ap-northeast-2.execute-api']);
    const subnets = Object.keys(resourcesOfType(s.network, 'AWS::EC2::Subnet'))
      .filter((k) => k.startsWith('NetworkVpcIsolated'))
      .map((k) => ({ Ref: k }));
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

describe('image builder network', () => {
  const builderSubnet = () => Object.keys(resourcesOfType(s.network, 'AWS::EC2::Subnet')).find((k) => k.startsWith('NetworkBuilderSubnet'))!;
  const builderSg = () => s.stacks.network.resolve(s.stacks.network.network.builderSecurityGroup!.securityGroupId)['Fn::GetAtt'][0] as string;

  test('its subnet has a route table of its own with no route at all (only the VPC’s implicit local one)', () => {
    const association = Object.values(resourcesOfType(s.network, 'AWS::EC2::SubnetRouteTableAssociation')).find((a) => JSON.stringify(a.Properties?.SubnetId) === JSON.stringify({ Ref: builderSubnet() }))!;
    const table = (association.Properties?.RouteTableId as { Ref: string }).Ref;
    expect(table).toMatch(/^NetworkBuilderSubnetRouteTable/);
    expect(json(s.network).Resources[builderSubnet()].Properties).toMatchObject({ MapPublicIpOnLaunch: false });
    s.network.resourceCountIs('AWS::EC2::Route', 0);
  });

  test('its security group admits nothing and sends nothing', () => {
    const group = builderSg();
    expect(Object.values(resourcesOfType(s.network, 'AWS::EC2::SecurityGroupIngress')).filter((r) => JSON.stringify(r.Properties).includes(group))).toEqual([]);
    expect(Object.values(resourcesOfType(s.network, 'AWS::EC2::SecurityGroupEgress')).filter((r) => JSON.stringify(r.Properties).includes(group))).toEqual([]);
    expect(json(s.network).Resources[group].Properties?.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })]);
  });

  test('exists only when the study has an image builder', () => {
    const none = synthStudy(buildStudy({ imageBuilder: undefined }));
    expect(none.stacks.network.network.builderSubnet).toBeUndefined();
    expect(Object.keys(resourcesOfType(none.network, 'AWS::EC2::Subnet')).filter((k) => k.startsWith('NetworkBuilder'))).toEqual([]);
    expect(Object.keys(resourcesOfType(none.network, 'AWS::EC2::SecurityGroup')).filter((k) => k.startsWith('NetworkBuilder'))).toEqual([]);
  }, 30_000);

  test.each([
    ['10.40.0.0/20', '10.40.8.0/28'],
    ['10.0.0.0/16', '10.0.128.0/28'],
    ['192.168.7.0/24', '192.168.7.128/28'],
  ])('takes the first /28 of the half the isolated tier leaves free (%s → %s)', (cidr, subnet) => {
    expect(builderSubnetCidr(cidr)).toBe(subnet);
  });
});

describe('DNS firewall', () => {
  const ofType = (type: string) => Object.entries(resourcesOfType(s.network, type));
  const only = (type: string) => onlyResource(s.network, type);
  const vpc = () => only('AWS::EC2::VPC')[0];

  test('allows exactly the names of the VPC’s endpoints (interface and gateway, whichever stack adds them)', () => {
    const [, allowed] = ofType('AWS::Route53Resolver::FirewallDomainList').find(([id]) => id.startsWith('NetworkDnsFirewallAllowed'))!;
    expect(allowed.Properties?.Domains).toEqual([
      '*.ddb.ap-northeast-2.amazonaws.com',
      '*.execute-api.ap-northeast-2.amazonaws.com',
      '*.s3.ap-northeast-2.amazonaws.com',
      'appstream2.ap-northeast-2.amazonaws.com',
      // The data stack's directory endpoint (bulk assignment reads readers' sites through it).
      'cognito-idp.ap-northeast-2.amazonaws.com',
      'dynamodb.ap-northeast-2.amazonaws.com',
      's3.ap-northeast-2.amazonaws.com',
    ]);
  });

  test('blocks every other name with NXDOMAIN (AppStream relies on NXDOMAIN), after the allow rule', () => {
    const lists = Object.fromEntries(ofType('AWS::Route53Resolver::FirewallDomainList').map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), { id, domains: r.Properties?.Domains }]));
    expect(lists.NetworkDnsFirewallEverything.domains).toEqual(['*']);
    expect(only('AWS::Route53Resolver::FirewallRuleGroup')[1].Properties?.FirewallRules).toEqual([
      { Priority: 100, Action: 'ALLOW', FirewallDomainListId: { 'Fn::GetAtt': [lists.NetworkDnsFirewallAllowed.id, 'Id'] }, FirewallDomainRedirectionAction: 'TRUST_REDIRECTION_DOMAIN' },
      { Priority: 200, Action: 'BLOCK', BlockResponse: 'NXDOMAIN', FirewallDomainListId: { 'Fn::GetAtt': [lists.NetworkDnsFirewallEverything.id, 'Id'] } },
    ]);
  });

  test('is associated with the study VPC, first in line', () => {
    const group = only('AWS::Route53Resolver::FirewallRuleGroup')[0];
    expect(only('AWS::Route53Resolver::FirewallRuleGroupAssociation')[1].Properties).toMatchObject({ FirewallRuleGroupId: { 'Fn::GetAtt': [group, 'Id'] }, VpcId: { Ref: vpc() }, Priority: 101 });
  });

  test('logs every query of the VPC to a log group encrypted with the network key, with the study retention', () => {
    const [config, c] = only('AWS::Route53Resolver::ResolverQueryLoggingConfig');
    const [groupId, group] = ofType('AWS::Logs::LogGroup').find(([id]) => id.startsWith('NetworkDnsFirewallQueryLogs'))!;
    expect(c.Properties?.DestinationArn).toEqual({ 'Fn::GetAtt': [groupId, 'Arn'] });
    expect(only('AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation')[1].Properties).toEqual({ ResolverQueryLogConfigId: { 'Fn::GetAtt': [config, 'Id'] }, ResourceId: { Ref: vpc() } });
    expect(group.Properties).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [only('AWS::KMS::Key')[0], 'Arn'] }, RetentionInDays: 365 });
  });

  test('an endpoint added to the VPC later is allowed without touching the list; one it cannot name fails synth', () => {
    const app = createTestApp();
    const stacks = addStudy(app, VARIANTS.example());
    // In the data stack, as the gateway endpoints are: the list follows the VPC, not the stack.
    new ec2.InterfaceVpcEndpoint(stacks.data, 'CognitoEndpoint', { vpc: stacks.network.network.vpc, service: new ec2.InterfaceVpcEndpointAwsService('cognito-idp') });
    const domains = Object.entries(Template.fromStack(stacks.network).toJSON().Resources as Record<string, { Type: string; Properties: { Domains?: string[] } }>).find(([id]) =>
      id.startsWith('NetworkDnsFirewallAllowed'),
    )![1].Properties.Domains;
    expect(domains).toContain('cognito-idp.ap-northeast-2.amazonaws.com');

    const other = createTestApp();
    const more = addStudy(other, VARIANTS.example());
    new ec2.InterfaceVpcEndpoint(more.network, 'Partner', { vpc: more.network.network.vpc, service: new ec2.InterfaceVpcEndpointService('com.example.vpce.partner', 443) });
    expect(() => Template.fromStack(more.network)).toThrow(/cannot tell the DNS names of endpoint .*Partner/);
  }, 30_000);
});

test('tags every taggable resource with the study id and the configured tags', () => {
  expectStudyTags(s.stacks.network, s.study);
});
