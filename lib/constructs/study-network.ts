import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
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
}

/**
 * The reading room's network: private isolated subnets in two zones with no route to the internet,
 * interface endpoints for the only AWS APIs the fleet and the functions call, flow logs, the default
 * security group closed, and one security group per kind of workload whose egress reaches only the
 * endpoints. Gateway endpoints for S3 and DynamoDB belong to the data stack, because their policies
 * name the study's buckets and table (which in turn name the endpoint).
 */
export class StudyNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  /** For streaming instances: no ingress; egress 443 only to the endpoints and the S3 gateway. */
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
    allowLogsToUseKey(flowLogKey);
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
    // they are read at deploy time, never looked up at synth.
    const prefixLists = new SdkCall(this, 'GatewayPrefixLists', {
      onUpdate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: {
          Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${stack.region}.s3`, `com.amazonaws.${stack.region}.dynamodb`] }],
        },
        physicalResourceId: cr.PhysicalResourceId.of(`gateway-prefix-lists-${stack.region}`),
        outputPaths: ['PrefixLists.0.PrefixListId', 'PrefixLists.0.PrefixListName', 'PrefixLists.1.PrefixListId', 'PrefixLists.1.PrefixListName'],
      },
      statements: [new iam.PolicyStatement({ actions: ['ec2:DescribeManagedPrefixLists'], resources: ['*'] })],
      encryptionKey: flowLogKey,
      logRetention: props.flowLogRetention,
    });
    Validations.of(prefixLists.policy.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeManagedPrefixLists supports no resource-level permissions, so "*" is the only valid resource; the action is read-only and the only one granted.',
    });
    for (const i of [0, 1]) {
      const peer = ec2.Peer.prefixList(prefixLists.getResponseField(`PrefixLists.${i}.PrefixListId`));
      this.fleetSecurityGroup.addEgressRule(peer, ec2.Port.tcp(443), 'HTTPS to an S3/DynamoDB gateway endpoint');
      this.functionSecurityGroup.addEgressRule(peer, ec2.Port.tcp(443), 'HTTPS to an S3/DynamoDB gateway endpoint');
    }

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
        // Exactly what the functions call (the reader API and case-files); nothing else reaches AppStream.
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
  }

  private workloadSecurityGroup(id: string, description: string, endpoints: ec2.ISecurityGroup): ec2.SecurityGroup {
    const sg = new ec2.SecurityGroup(this, id, { vpc: this.vpc, description, allowAllOutbound: false });
    sg.addEgressRule(endpoints, ec2.Port.tcp(443), 'HTTPS to the interface endpoints');
    return sg;
  }
}

/** Flow-log retention must be one of CloudWatch's values; the config schema guarantees it. */
export function retentionDays(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}
