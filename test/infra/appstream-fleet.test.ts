/**
 * AppStreamFleet on its own: props it rejects (each error names the prop) and the defaults it
 * applies when a prop is left out.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AppStreamFleet, AppStreamFleetProps, DATA_TRANSFER_ACTIONS, ElasticViewer } from '../../lib/constructs';
import { createTestApp } from '../helpers/test-app';

const ENV = { account: '111111111111', region: 'ap-northeast-2' };

function setup(subnets = 2): { stack: Stack; vpc: ec2.Vpc; sg: ec2.SecurityGroup; app: App } {
  const app = createTestApp();
  const stack = new Stack(app, 'Test', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['ap-northeast-2a', 'ap-northeast-2c'].slice(0, subnets),
    natGateways: 0,
    createInternetGateway: false,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false });
  return { stack, vpc, sg, app };
}

const VIEWER: ElasticViewer = {
  platform: 'AMAZON_LINUX2',
  maxConcurrentSessions: 10,
  appBlockSource: { bucket: 'blocks', key: 'viewer.vhdx' },
  setupScript: { bucket: 'blocks', key: 'setup.sh', executablePath: '/usr/bin/bash', timeout: Duration.minutes(10) },
  applicationName: 'viewer',
  appBlockName: 'viewer-block',
  launchPath: '/opt/viewer',
  icon: { bucket: 'blocks', key: 'icon.png' },
};

const props = (vpc: ec2.IVpc, sg: ec2.ISecurityGroup, overrides: Partial<AppStreamFleetProps> = {}): AppStreamFleetProps => ({
  fleetName: 'readroom-test-fleet',
  stackName: 'readroom-test',
  vpc,
  securityGroup: sg,
  fleetType: 'ALWAYS_ON',
  instanceType: 'stream.standard.medium',
  image: { name: 'viewer-image' },
  embedHostDomains: ['portal.example.org'],
  ...overrides,
});

describe('rejects props that AppStream would reject at deploy time, naming the prop', () => {
  const cases: Array<[string, Partial<AppStreamFleetProps>, RegExp]> = [
    ['a fleet name with a space', { fleetName: 'read room' }, /fleetName/],
    ['an empty stack name', { stackName: '' }, /stackName/],
    ['a stack name over 100 characters', { stackName: 'a'.repeat(101) }, /stackName/],
    ['an image on an ELASTIC fleet', { fleetType: 'ELASTIC', elastic: VIEWER }, /image.*ELASTIC/],
    ['an ELASTIC fleet without its viewer', { fleetType: 'ELASTIC', image: undefined }, /elastic.*required/],
    ['an app block on an ALWAYS_ON fleet', { elastic: VIEWER }, /elastic.*only allowed/],
    ['no image on an ON_DEMAND fleet', { fleetType: 'ON_DEMAND', image: undefined }, /image.*exactly one/],
    ['an image with both name and ARN', { image: { name: 'x', arn: 'arn:aws:appstream:ap-northeast-2:111111111111:image/x' } }, /image.*exactly one/],
    ['an image with neither name nor ARN', { image: {} }, /image.*exactly one/],
    ['an EC2 instance type', { instanceType: 'm5.large' }, /instanceType/],
    ['an idle timeout under a minute', { idleDisconnectTimeout: Duration.seconds(30) }, /idleDisconnectTimeout/],
    ['an idle timeout over ten hours', { idleDisconnectTimeout: Duration.seconds(36_001) }, /idleDisconnectTimeout/],
    ['a disconnect timeout under a minute', { disconnectTimeout: Duration.seconds(59) }, /disconnectTimeout/],
    ['a disconnect timeout over ten hours', { disconnectTimeout: Duration.hours(11) }, /disconnectTimeout/],
    ['a session cap under ten minutes', { maxUserDuration: Duration.minutes(9) }, /maxUserDuration/],
    ['a session cap over 100 hours', { maxUserDuration: Duration.hours(101) }, /maxUserDuration/],
    ['more than 20 embed host domains', { embedHostDomains: Array.from({ length: 21 }, (_, i) => `d${i}.example.org`) }, /embedHostDomains/],
    ['a negative desired capacity', { desiredCapacity: -1 }, /desiredCapacity/],
    ['a fractional desired capacity', { desiredCapacity: 1.5 }, /desiredCapacity/],
  ];
  test.each(cases)('%s', (_name, overrides, error) => {
    const { stack, vpc, sg } = setup();
    expect(() => new AppStreamFleet(stack, 'Streaming', props(vpc, sg, overrides))).toThrow(error);
  });

  test('an ELASTIC fleet in a VPC with one isolated subnet', () => {
    const { stack, vpc, sg } = setup(1);
    expect(() => new AppStreamFleet(stack, 'Streaming', props(vpc, sg, { fleetType: 'ELASTIC', image: undefined, elastic: VIEWER }))).toThrow(/vpc.*two isolated subnets/);
  });

  test('every message starts with the construct name', () => {
    const { stack, vpc, sg } = setup();
    expect(() => new AppStreamFleet(stack, 'Streaming', props(vpc, sg, { instanceType: 'big' }))).toThrow(/^AppStreamFleet: instanceType /);
  });
});

describe('accepts the edges of AppStream’s ranges', () => {
  test.each<[string, Partial<AppStreamFleetProps>]>([
    ['idle disconnect off', { idleDisconnectTimeout: Duration.seconds(0) }],
    ['the longest timeouts', { idleDisconnectTimeout: Duration.seconds(36_000), disconnectTimeout: Duration.seconds(36_000), maxUserDuration: Duration.seconds(360_000) }],
    ['the shortest timeouts', { idleDisconnectTimeout: Duration.seconds(60), disconnectTimeout: Duration.seconds(60), maxUserDuration: Duration.seconds(600) }],
    ['an image by ARN', { image: { arn: 'arn:aws:appstream:ap-northeast-2:111111111111:image/viewer' } }],
    ['zero desired instances', { desiredCapacity: 0 }],
    ['an ELASTIC fleet with its viewer', { fleetType: 'ELASTIC', image: undefined, elastic: VIEWER }],
  ])('%s', (_name, overrides) => {
    const { stack, vpc, sg } = setup();
    expect(() => new AppStreamFleet(stack, 'Streaming', props(vpc, sg, overrides))).not.toThrow();
  });
});

describe('defaults', () => {
  let template: Template;
  let fleet: AppStreamFleet;
  beforeAll(() => {
    const { stack, vpc, sg } = setup();
    fleet = new AppStreamFleet(stack, 'Streaming', props(vpc, sg));
    template = Template.fromStack(stack);
  });

  test('stream the app only, one instance to start, 15 min idle and disconnect, 4 h sessions', () => {
    template.hasResourceProperties('AWS::AppStream::Fleet', {
      StreamView: 'APP',
      ComputeCapacity: { DesiredInstances: 1 },
      IdleDisconnectTimeoutInSeconds: 900,
      DisconnectTimeoutInSeconds: 900,
      MaxUserDurationInSeconds: 14_400,
      EnableDefaultInternetAccess: false,
      DisableIMDSV1: true,
    });
  });

  test('use the VPC’s isolated subnets', () => {
    template.hasResourceProperties('AWS::AppStream::Fleet', { VpcConfig: { SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcIsolatedSubnet1') }, { Ref: Match.stringLikeRegexp('^VpcIsolatedSubnet2') }] } });
  });

  test('keep every transfer setting disabled and no redirect', () => {
    template.hasResourceProperties('AWS::AppStream::Stack', {
      UserSettings: DATA_TRANSFER_ACTIONS.map((Action) => ({ Action, Permission: 'DISABLED' })),
      RedirectURL: Match.absent(),
    });
  });

  test('build fleet and stack ARNs for IAM and grant exactly the named calls on exactly those', () => {
    expect(Stack.of(fleet).resolve(fleet.fleetArn)).toBe('arn:aws:appstream:ap-northeast-2:111111111111:fleet/readroom-test-fleet');
    expect(Stack.of(fleet).resolve(fleet.stackArn)).toBe('arn:aws:appstream:ap-northeast-2:111111111111:stack/readroom-test');
    const { stack, vpc, sg } = setup();
    const other = new AppStreamFleet(stack, 'Streaming', props(vpc, sg));
    other.grant(new iam.Role(stack, 'Api', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }), 'CreateStreamingURL', 'DescribeSessions');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['appstream:CreateStreamingURL', 'appstream:DescribeSessions'],
            Resource: ['arn:aws:appstream:ap-northeast-2:111111111111:fleet/readroom-test-fleet', 'arn:aws:appstream:ap-northeast-2:111111111111:stack/readroom-test'],
          },
        ],
      },
    });
  });
});
