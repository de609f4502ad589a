import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { DnsFirewall } from './dns-firewall';
import { allowLogsToUseKey } from './encryption';
import { SdkCall } from './sdk-call';

export interface StudyNetworkProps {
  /** IPv4 CIDR of the study VPC (/16–/24). */
  readonly cidr: string;
  /**
   * The two availability zones. Give them whenever the stack has a concrete region, so that synth
   * never looks zones up.
   * @default - the first two zones of an environment-agnostic stack (`Fn::GetAZs`)
   */
  readonly availabilityZones?: string[];
  /** Retention of the VPC flow logs. */
  readonly flowLogRetention: logs.RetentionDays;
  /** What happens to the flow-log group and its key when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /** Names of the AppStream fleet and stack the API endpoint may act on (the policy scopes to them). */
  readonly appStream: { readonly fleetName: string; readonly stackName: string };
  /** Prefix of the DNS Firewall's resource names (`readroom-<study>`). */
  readonly namePrefix: string;
  /**
   * Add a subnet and security group of its own for the image builder.
   * @default false
   */
  readonly imageBuilder?: boolean;
}

/**
 * The reading room's network: private isolated subnets in two zones with no route to the internet,
 * interface endpoints for the only AWS APIs the fleet and the functions call, flow logs, the default
 * security group closed, one security group per kind of workload whose egress reaches only the
 * endpoints, and a DNS Firewall that resolves only the endpoints' names. Gateway endpoints for S3
 * and DynamoDB belong to the data stack, because their policies name the study's buckets and table
 * (which in turn name the endpoint). With an image builder, a subnet and security group of its own
 * outside the VPC's subnet configuration, so no gateway endpoint or workload selection ever reaches it.
 */
export class StudyNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  /** For streaming instances: no ingress; egress 443 only to the endpoints and the S3 gateway (never DynamoDB: the fleet does not call it). */
  readonly fleetSecurityGroup: ec2.ISecurityGroup;
  /** For ReadRoom's functions: no ingress; egress 443 only to the endpoints and the gateways. */
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  /** The `execute-api` interface endpoint through which the fleet reaches the private fleet API. */
  readonly apiEndpoint: ec2.IInterfaceVpcEndpoint;
  /**
   * The interface endpoints' group (HTTPS in from the fleet and the functions): for an endpoint
   * whose policy names a resource of a later stack, created there (the data stack's Cognito one).
   */
  readonly endpointSecurityGroup: ec2.ISecurityGroup;
  readonly dnsFirewall: DnsFirewall;
  /**
   * The image builder's own subnet: no route but the VPC's local one, so neither the S3 gateway
   * (the scans) nor anything else is reachable from it. Only with `imageBuilder`.
   */
  readonly builderSubnet?: ec2.ISubnet;
  /** The image builder's security group: no ingress, no egress. Only with `imageBuilder`. */
  readonly builderSecurityGroup?: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: StudyNetworkProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = Number(props.cidr.split('/')[1]);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      ...(props.availabilityZones ? { availabilityZones: props.availabilityZones } : { maxAzs: 2 }),
      natGateways: 0,
      createInternetGateway: false,
      // Half of each zone's share stays free for a later subnet tier without re-addressing.
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: Math.min(prefix + 2, 28) }],
      restrictDefaultSecurityGroup: true,
    });
    this.vpc = vpc;

    const flowLogKey = new kms.Key(this, 'FlowLogKey', {
      description: 'ReadRoom network logs: VPC flow logs and deploy-time lookups',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    allowLogsToUseKey(flowLogKey, [stack.stackName]);
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: flowLogKey,
      retention: props.flowLogRetention,
      removalPolicy: props.removalPolicy,
    });
    // Our own role with a customer-managed policy: the default one gets an inline policy. The flow
    // log receives it without policy updates, so nothing inline is added behind our back.
    const flowLogRole = new iam.Role(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'Delivers the study VPC flow logs to their log group',
    });
    const flowLogPolicy = new iam.ManagedPolicy(this, 'FlowLogPolicy', {
      description: 'Write the study VPC flow logs to their log group only',
      statements: [
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [flowLogGroup.logGroupArn] }),
      ],
      roles: [flowLogRole],
    });
    const flowLog = vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup, flowLogRole.withoutPolicyUpdates()),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    flowLog.node.addDependency(flowLogPolicy);

    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'ReadRoom interface endpoints: HTTPS from the fleet and the functions only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup = endpointSecurityGroup;
    this.fleetSecurityGroup = this.workloadSecurityGroup('FleetSecurityGroup', 'ReadRoom streaming instances: no ingress, HTTPS to endpoints only', endpointSecurityGroup);
    this.functionSecurityGroup = this.workloadSecurityGroup('FunctionSecurityGroup', 'ReadRoom functions: no ingress, HTTPS to endpoints only', endpointSecurityGroup);

    // Gateway endpoints are reached through AWS-managed prefix lists whose ids differ per region;
    // they are read at deploy time, never looked up at synth. One call per list: the API does not
    // promise an order, and the fleet may reach S3 only.
    const s3 = this.gatewayPrefixList('S3PrefixList', 's3', flowLogKey, props.flowLogRetention);
    const dynamoDb = this.gatewayPrefixList('DynamoDbPrefixList', 'dynamodb', flowLogKey, props.flowLogRetention);
    this.fleetSecurityGroup.addEgressRule(s3, ec2.Port.tcp(443), 'HTTPS to the S3 gateway endpoint (case files by presigned URL)');
    this.functionSecurityGroup.addEgressRule(s3, ec2.Port.tcp(443), 'HTTPS to the S3 gateway endpoint');
    this.functionSecurityGroup.addEgressRule(dynamoDb, ec2.Port.tcp(443), 'HTTPS to the DynamoDB gateway endpoint');

    const account = stack.account;
    const appStreamArns = [
      stack.formatArn({ service: 'appstream', resource: 'fleet', resourceName: props.appStream.fleetName }),
      stack.formatArn({ service: 'appstream', resource: 'stack', resourceName: props.appStream.stackName }),
    ];
    const appStreamEndpoint = vpc.addInterfaceEndpoint('AppStreamApiEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.APPSTREAM_API,
      securityGroups: [endpointSecurityGroup],
      open: false,
      privateDnsEnabled: true,
    });
    appStreamEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        // Exactly what the functions call (reader and adjudication sessions, case-files); nothing else reaches AppStream.
        actions: ['appstream:CreateStreamingURL', 'appstream:DescribeSessions'],
        resources: appStreamArns,
        conditions: { StringEquals: { 'aws:PrincipalAccount': account } },
      }),
    );

    const apiEndpoint = vpc.addInterfaceEndpoint('ExecuteApiEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY,
      securityGroups: [endpointSecurityGroup],
      open: false,
      privateDnsEnabled: true,
    });
    apiEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [stack.formatArn({ service: 'execute-api', resource: '*' })],
        conditions: { StringEquals: { 'aws:PrincipalAccount': account } },
      }),
    );
    this.apiEndpoint = apiEndpoint;
    for (const sg of [this.fleetSecurityGroup, this.functionSecurityGroup]) {
      endpointSecurityGroup.addIngressRule(sg, ec2.Port.tcp(443), 'HTTPS from ReadRoom workloads');
    }

    this.dnsFirewall = new DnsFirewall(this, 'DnsFirewall', {
      vpc,
      namePrefix: props.namePrefix,
      encryptionKey: flowLogKey,
      logRetention: props.flowLogRetention,
      removalPolicy: props.removalPolicy,
    });

    if (props.imageBuilder) {
      // The first /28 of the half of the VPC that the isolated tier leaves free; its route table has
      // only the local route (the gateway endpoints route the isolated tier's tables, never this one).
      this.builderSubnet = new ec2.PrivateSubnet(this, 'BuilderSubnet', {
        vpcId: vpc.vpcId,
        availabilityZone: vpc.availabilityZones[0],
        cidrBlock: builderSubnetCidr(props.cidr),
        mapPublicIpOnLaunch: false,
      });
      // AppStream streams the builder and creates the image over its managed interface; the engineer's
      // installers arrive through the builder session. Nothing needs to leave through the VPC.
      this.builderSecurityGroup = new ec2.SecurityGroup(this, 'BuilderSecurityGroup', {
        vpc,
        description: 'ReadRoom image builder: no ingress, no egress',
        allowAllOutbound: false,
      });
    }
  }

  /** The id of an AWS-managed gateway prefix list (`s3`, `dynamodb`), read at deploy time. */
  private gatewayPrefixList(id: string, service: string, key: kms.IKey, logRetention: logs.RetentionDays): ec2.IPeer {
    const region = Stack.of(this).region;
    const call = new SdkCall(this, id, {
      onUpdate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${region}.${service}`] }] },
        physicalResourceId: cr.PhysicalResourceId.of(`gateway-prefix-list-${service}-${region}`),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      statements: [new iam.PolicyStatement({ actions: ['ec2:DescribeManagedPrefixLists'], resources: ['*'] })],
      encryptionKey: key,
      logRetention,
    });
    Validations.of(call.policy.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeManagedPrefixLists supports no resource-level permissions, so "*" is the only valid resource; the action is read-only and the only one granted.',
    });
    return ec2.Peer.prefixList(call.getResponseField('PrefixLists.0.PrefixListId'));
  }

  private workloadSecurityGroup(id: string, description: string, endpoints: ec2.ISecurityGroup): ec2.SecurityGroup {
    const sg = new ec2.SecurityGroup(this, id, { vpc: this.vpc, description, allowAllOutbound: false });
    sg.addEgressRule(endpoints, ec2.Port.tcp(443), 'HTTPS to the interface endpoints');
    return sg;
  }
}

/**
 * The image builder's subnet: the first /28 of the VPC's second half (the isolated tier takes the
 * first half, see `subnetConfiguration`).
 */
export function builderSubnetCidr(cidr: string): string {
  const [address, prefix] = cidr.split('/');
  const base = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const start = base + 2 ** (32 - Number(prefix) - 1);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join('.')}/28`;
}

/** Flow-log retention must be one of CloudWatch's values; the config schema guarantees it. */
export function retentionDays(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}
