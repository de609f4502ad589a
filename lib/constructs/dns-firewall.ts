import { CfnElement, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as resolver from 'aws-cdk-lib/aws-route53resolver';
import { Construct, IConstruct } from 'constructs';

export interface DnsFirewallProps {
  readonly vpc: ec2.IVpc;
  /** Prefix of the names of the domain lists, rule group and query-log config (`readroom-<study>`). */
  readonly namePrefix: string;
  /** Encrypts the query-log group. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * What DNS Firewall answers a blocked query with. NXDOMAIN, never NODATA or an override: AppStream
 * relies on the VPC's DNS returning NXDOMAIN for names that do not exist so that its managed
 * interface reaches the management servers (AppStream admin guide, "AppStream 2.0 connections to
 * your VPC", note under "Management network interface IP address range and ports").
 */
export const DNS_BLOCK_RESPONSE = 'NXDOMAIN';

/**
 * The private DNS names under which a VPC endpoint's service is reached, from the part of its
 * service name after `com.amazonaws.<region>.` (`s3`, `appstream.api`, `cognito-idp`, …). Most
 * services are `<service>.<region>.amazonaws.com`; the exceptions are listed.
 */
export function endpointDomains(service: string, region: string): string[] {
  const aws = (name: string) => `${name}.${region}.amazonaws.com`;
  switch (service) {
    // The AppStream API is appstream2.<region>.amazonaws.com (the SDK's endpoint), not "appstream.api".
    case 'appstream.api':
      return [aws('appstream2')];
    // Virtual-hosted buckets (every presigned URL) are <bucket>.s3.<region>.amazonaws.com.
    case 's3':
      return [aws('s3'), `*.${aws('s3')}`];
    // Account-based endpoints (<account>.ddb.<region>.amazonaws.com) are what newer SDKs prefer when
    // the credentials carry the account id.
    case 'dynamodb':
      return [aws('dynamodb'), `*.${aws('ddb')}`];
    // Private APIs are <api-id>.execute-api.<region>.amazonaws.com, answered by the endpoint's private zone.
    case 'execute-api':
      return [`*.${aws('execute-api')}`];
    default:
      return [aws(service)];
  }
}

/** The service part of an AWS endpoint service name, or undefined for anything else (a partner's service). */
export function serviceOfEndpoint(serviceName: string): string | undefined {
  return /^com\.amazonaws\.[a-z0-9-]+\.([a-z0-9.-]+)$/.exec(serviceName)?.[1];
}

/** A resolved service name as text: a gateway endpoint's is a join with the region's Ref. */
function serviceNameText(value: unknown, region: string): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string } | undefined;
  if (v?.['Fn::Join']) return v['Fn::Join'][1].map((p) => serviceNameText(p, region)).join(v['Fn::Join'][0]);
  if (v?.Ref === 'AWS::Region') return region;
  return JSON.stringify(value);
}

/**
 * Closes DNS as a way out of the study VPC: a Route 53 Resolver DNS Firewall rule group that
 * answers only the names of the VPC's own endpoints (derived at synth from every endpoint of the
 * VPC in the app, whichever stack adds it, so a later endpoint is allowed without touching this
 * list) and blocks every other name with NXDOMAIN; every query is logged to a KMS-encrypted log
 * group. Code in a session could otherwise encode data into the names it looks up: the Resolver
 * forwards a query for an unknown name to the internet's DNS, whose owner sees it.
 *
 * Why nothing else is on the list: AppStream streams and manages its instances over its managed
 * network interface (198.19.0.0/16), which does not use the VPC resolver; what it does through the
 * VPC (home folders, application settings, Elastic app blocks) is S3, whose names the S3 gateway
 * endpoint brings; and the NXDOMAIN it relies on is exactly the block response. The image builder
 * is administered over the same managed interface.
 */
export class DnsFirewall extends Construct {
  readonly ruleGroup: resolver.CfnFirewallRuleGroup;
  readonly logGroup: logs.LogGroup;
  /** The allowed names, as synthesized (for tests and the README). */
  readonly allowedDomains: () => string[];

  constructor(scope: Construct, id: string, props: DnsFirewallProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const vpcId = props.vpc.vpcId;
    this.allowedDomains = () => allowedDomainsOf(this.node.root, vpcId, stack.region);

    const allowed = new resolver.CfnFirewallDomainList(this, 'Allowed', {
      name: `${props.namePrefix}-allowed`,
      domains: Lazy.list({ produce: () => this.allowedDomains() }),
    });
    const everything = new resolver.CfnFirewallDomainList(this, 'Everything', { name: `${props.namePrefix}-everything`, domains: ['*'] });
    this.ruleGroup = new resolver.CfnFirewallRuleGroup(this, 'Rules', {
      name: `${props.namePrefix}-dns`,
      firewallRules: [
        // The allowed names are AWS's own: a CNAME they return points into AWS's zones, so the chain is trusted.
        { priority: 100, action: 'ALLOW', firewallDomainListId: allowed.attrId, firewallDomainRedirectionAction: 'TRUST_REDIRECTION_DOMAIN' },
        { priority: 200, action: 'BLOCK', blockResponse: DNS_BLOCK_RESPONSE, firewallDomainListId: everything.attrId },
      ],
    });
    new resolver.CfnFirewallRuleGroupAssociation(this, 'Association', {
      name: `${props.namePrefix}-dns`,
      firewallRuleGroupId: this.ruleGroup.attrId,
      vpcId,
      // 101 is the first priority a rule group may take: ours is evaluated before any added later.
      priority: 101,
    });

    this.logGroup = new logs.LogGroup(this, 'QueryLogs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Resolver delivers query logs as a vended log: on creation it adds this group to the account's
    // AWSLogDeliveryWrite resource policy (the deploying role needs logs:PutResourcePolicy, which the
    // CDK bootstrap execution role has).
    const queryLogs = new resolver.CfnResolverQueryLoggingConfig(this, 'QueryLogging', { name: `${props.namePrefix}-dns`, destinationArn: this.logGroup.logGroupArn });
    new resolver.CfnResolverQueryLoggingConfigAssociation(this, 'QueryLoggingAssociation', { resolverQueryLogConfigId: queryLogs.attrId, resourceId: vpcId });
  }
}

/** Every name the VPC's endpoints answer, sorted, without repeats. */
function allowedDomainsOf(root: IConstruct, vpcId: string, region: string): string[] {
  const domains = new Set<string>();
  for (const c of root.node.findAll()) {
    if (!(c instanceof ec2.CfnVPCEndpoint) || c.vpcId !== vpcId) continue;
    const name = serviceNameText(Stack.of(c).resolve(c.serviceName), region);
    const service = serviceOfEndpoint(name);
    if (!service) throw new Error(`DnsFirewall: cannot tell the DNS names of endpoint ${(c as CfnElement).node.path} (${name}); add them to endpointDomains()`);
    for (const d of endpointDomains(service, region)) domains.add(d);
  }
  return [...domains].sort();
}
