/**
 * The reading room's "no data path out" rule as a checker over a synthesized template. cdk-nag has
 * no AppStream rules; this is ours. It reports, one line each:
 * - an AppStream stack where one of the five transfer settings (clipboard both ways, file upload,
 *   file download, printing) is missing (AppStream enables what is omitted) or not DISABLED;
 * - an AppStream stack with a storage connector (home folders, Google Drive, OneDrive);
 * - a fleet or image builder with default internet access;
 * - a fleet whose instance role, through any policy attached to it, may read every object of a
 *   bucket (the scans bucket among them): case-scoped reads arrive through the workflow API;
 * - a VPC whose DNS is a way out (run it over the network template): no DNS Firewall rule group
 *   associated, no final rule that blocks every name (`*`) with NXDOMAIN, a rule that lets through
 *   a name outside one AWS service's regional zone (`*.amazonaws.com`, `*`, `example.org`), or no
 *   query logging. Code in a session could otherwise encode data in the names it looks up;
 * - a bucket with ACLs enabled (ObjectOwnership other than BucketOwnerEnforced) that is anything
 *   but a CloudFront distribution's standard-log target: an object ACL can grant another account
 *   read, which Block Public Access does not stop. CloudFront's log delivery needs ACLs (issue 10
 *   item 7); that bucket holds request logs only. Run it over the data template too.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { CfnResourceJson, CfnTemplateJson, Json, render } from './template';

export const TRANSFER_ACTIONS = [
  'CLIPBOARD_COPY_FROM_LOCAL_DEVICE',
  'CLIPBOARD_COPY_TO_LOCAL_DEVICE',
  'FILE_UPLOAD',
  'FILE_DOWNLOAD',
  'PRINTING_TO_LOCAL_DEVICE',
] as const;

export interface NoDataPathOutOptions {
  /** The study explicitly lets readers paste text in (CLIPBOARD_COPY_FROM_LOCAL_DEVICE ENABLED). @default false */
  readonly allowPasteIn?: boolean;
}

const S3_READ = /^(\*|s3:\*|s3:Get\*|s3:GetObject\*?|s3:GetObjectVersion)$/i;

export function findDataPathsOut(template: Template | CfnTemplateJson, options: NoDataPathOutOptions = {}): string[] {
  const t = (template instanceof Template ? template.toJSON() : template) as CfnTemplateJson;
  const resources = t.Resources ?? {};
  const problems: string[] = [];
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  for (const [id, stack] of ofType('AWS::AppStream::Stack')) {
    const settings = (stack.Properties?.UserSettings ?? []) as Array<{ Action?: string; Permission?: string }>;
    for (const action of TRANSFER_ACTIONS) {
      const entries = settings.filter((s) => s.Action === action);
      const allowed = action === 'CLIPBOARD_COPY_FROM_LOCAL_DEVICE' && options.allowPasteIn ? ['DISABLED', 'ENABLED'] : ['DISABLED'];
      if (entries.length === 0) problems.push(`${id}: user setting ${action} is not set (AppStream enables it by default)`);
      for (const e of entries) if (!allowed.includes(String(e.Permission))) problems.push(`${id}: user setting ${action} is ${e.Permission}`);
    }
    const connectors = stack.Properties?.StorageConnectors;
    if (Array.isArray(connectors) && connectors.length > 0) {
      problems.push(`${id}: storage connectors ${connectors.map((c) => (c as { ConnectorType?: string }).ConnectorType).join(', ')}`);
    } else if (connectors !== undefined && !Array.isArray(connectors)) {
      problems.push(`${id}: StorageConnectors is not a literal list; cannot prove it is empty`);
    }
  }

  for (const [id, r] of [...ofType('AWS::AppStream::Fleet'), ...ofType('AWS::AppStream::ImageBuilder')]) {
    if (r.Properties?.EnableDefaultInternetAccess !== false) problems.push(`${id}: EnableDefaultInternetAccess is not false`);
  }

  problems.push(...dnsWaysOut(resources));
  problems.push(...aclBuckets(resources));

  for (const [fleetId, fleet] of ofType('AWS::AppStream::Fleet')) {
    const roleArn = fleet.Properties?.IamRoleArn;
    if (roleArn === undefined) continue;
    const roleId = logicalIdOf(roleArn);
    const role = roleId ? resources[roleId] : undefined;
    if (!roleId || !role || role.Type !== 'AWS::IAM::Role') {
      problems.push(`${fleetId}: instance role ${JSON.stringify(roleArn)} is not a role of this template; cannot prove what it reads`);
      continue;
    }
    for (const [where, statement] of statementsOf(roleId, role, resources)) {
      const reason = wholeBucketRead(statement);
      if (reason) problems.push(`${fleetId}: instance role ${roleId} ${reason} (${where})`);
    }
  }
  return problems;
}

function aclBuckets(resources: Record<string, CfnResourceJson>): string[] {
  const cloudFrontLogTargets = new Set(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudFront::Distribution')
      .map((r) => logicalIdOf(((r.Properties?.DistributionConfig as Record<string, Json> | undefined)?.Logging as Record<string, Json> | undefined)?.Bucket as Json))
      .filter((id): id is string => id !== undefined),
  );
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::S3::Bucket')
    .filter(([, r]) => JSON.stringify(r.Properties?.OwnershipControls) !== JSON.stringify({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] }))
    .filter(([id]) => !cloudFrontLogTargets.has(id))
    .map(([id]) => `${id}: ACLs are enabled (ObjectOwnership is not BucketOwnerEnforced) on a bucket that is not a CloudFront log target`);
}

function logicalIdOf(value: Json): string | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (typeof value.Ref === 'string') return value.Ref;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  }
  return undefined;
}

const refsRole = (roles: Json | undefined, roleId: string) => Array.isArray(roles) && roles.some((r) => logicalIdOf(r) === roleId);
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

type Statement = Record<string, Json>;

/** Every statement that applies to the role: inline, customer-managed, and policies that name it. */
function statementsOf(roleId: string, role: CfnResourceJson, resources: Record<string, CfnResourceJson>): Array<[string, Statement]> {
  const out: Array<[string, Statement]> = [];
  const add = (where: string, doc: Json | undefined) => {
    for (const s of asList((doc as { Statement?: Statement | Statement[] } | undefined)?.Statement)) out.push([where, s]);
  };
  for (const p of asList(role.Properties?.Policies as Array<{ PolicyName?: string; PolicyDocument?: Json }> | undefined)) add(`inline policy ${p.PolicyName}`, p.PolicyDocument);
  for (const arn of asList(role.Properties?.ManagedPolicyArns as Json[] | undefined)) {
    const id = logicalIdOf(arn);
    if (id && resources[id]?.Type === 'AWS::IAM::ManagedPolicy') add(`managed policy ${id}`, resources[id].Properties?.PolicyDocument);
    else out.push([`managed policy ${render(arn)}`, { Effect: 'Allow', Action: '*', Resource: '*', Unknown: true }]);
  }
  for (const [id, r] of Object.entries(resources)) {
    if ((r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && refsRole(r.Properties?.Roles, roleId)) add(`${r.Type} ${id}`, r.Properties?.PolicyDocument);
  }
  return out;
}

/** Why an Allow statement lets its holder read every object of some bucket, or undefined. */
function wholeBucketRead(s: Statement): string | undefined {
  if (s.Effect !== 'Allow') return undefined;
  if (s.Unknown) return 'has a managed policy defined outside the template (cannot prove it reads no whole bucket)';
  if (s.NotAction !== undefined || s.NotResource !== undefined) return 'has an Allow with NotAction/NotResource (cannot prove it reads no whole bucket)';
  const reads = asList(s.Action as Json[] | Json).map(render).filter((a) => S3_READ.test(a));
  if (reads.length === 0) return undefined;
  const whole = asList(s.Resource as Json[] | Json)
    .map(render)
    .filter(coversWholeBucket);
  return whole.length ? `may ${reads.join(', ')} on ${whole.join(', ')}` : undefined;
}

/** `*`, `arn:aws:s3:::*`, `arn:aws:s3:::prefix-*…`, or `<bucket>/*`: every object of some bucket. */
function coversWholeBucket(resource: string): boolean {
  if (resource === '*') return true;
  const m = /^(arn:[^:]*:s3:::[^/]*|«[^»]*»)(.*)$/.exec(resource);
  if (!m) return false;
  const [, bucket, key] = m;
  return bucket.endsWith('*') || key === '/*' || key === '*';
}

type Resources = Record<string, CfnResourceJson>;

/** An allowed name must sit inside one AWS service's regional zone: `name.<region>.amazonaws.com` or `*.<service>.<region>.amazonaws.com`. */
const NARROW_AWS_NAME = /^(\*\.)?[a-z0-9-]+\.[a-z]{2}(-gov)?-[a-z]+-\d\.amazonaws\.com$/;

/** Why each VPC of the template could send data out through DNS queries. */
function dnsWaysOut(resources: Resources): string[] {
  const problems: string[] = [];
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  for (const [vpcId] of ofType('AWS::EC2::VPC')) {
    const onVpc = (type: string, prop: string) => ofType(type).filter(([, r]) => logicalIdOf(r.Properties?.[prop] as Json) === vpcId);
    if (onVpc('AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation', 'ResourceId').length === 0) problems.push(`${vpcId}: DNS queries are not logged`);
    const associations = onVpc('AWS::Route53Resolver::FirewallRuleGroupAssociation', 'VpcId');
    if (associations.length === 0) {
      problems.push(`${vpcId}: no DNS Firewall rule group is associated (any name resolves, through the internet's DNS)`);
      continue;
    }
    let blocksTheRest = false;
    for (const [assocId, assoc] of associations) {
      const groupId = logicalIdOf(assoc.Properties?.FirewallRuleGroupId as Json);
      const group = groupId ? resources[groupId] : undefined;
      if (!group || group.Type !== 'AWS::Route53Resolver::FirewallRuleGroup') {
        problems.push(`${assocId}: the rule group is not in this template; cannot prove what it lets through`);
        continue;
      }
      const rules = asList(group.Properties?.FirewallRules as Array<Record<string, Json>> | undefined).sort((a, b) => Number(a.Priority) - Number(b.Priority));
      for (const rule of rules) {
        const listId = logicalIdOf(rule.FirewallDomainListId as Json);
        const list = listId ? resources[listId] : undefined;
        const domains = list?.Type === 'AWS::Route53Resolver::FirewallDomainList' ? list.Properties?.Domains : undefined;
        const where = `${groupId} rule ${rule.Priority}`;
        if (!Array.isArray(domains)) {
          problems.push(`${where}: its domain list is not a literal list in this template; cannot prove what it matches`);
          continue;
        }
        if (rule.Action === 'BLOCK') {
          if (!domains.includes('*')) continue;
          if (rule.BlockResponse !== 'NXDOMAIN') problems.push(`${where}: blocks with ${render(rule.BlockResponse ?? 'NODATA')}, not NXDOMAIN (AppStream relies on NXDOMAIN for names that do not exist)`);
          blocksTheRest = true;
          break; // nothing after a block of every name is ever reached
        }
        const wide = domains.map(render).filter((d) => !NARROW_AWS_NAME.test(d));
        if (wide.length) problems.push(`${where}: ${rule.Action} lets ${wide.join(', ')} through (only names inside one AWS service's regional zone may resolve)`);
      }
    }
    if (!blocksTheRest) problems.push(`${vpcId}: no DNS Firewall rule blocks every other name (*)`);
  }
  return problems;
}
