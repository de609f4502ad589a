/**
 * "No data path out": no transfer setting left on, no storage connector, no internet access, no
 * fleet role that can read a whole bucket, no DNS way out of the VPC. The checker
 * (test/helpers/no-data-path-out.ts) runs over every variant's reading and network stacks, and is
 * shown to fail on templates mutated to open each path.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { VARIANTS, VariantName, buildStudy } from '../helpers/studies';
import { synthStudy } from '../helpers/test-app';
import { TRANSFER_ACTIONS, findDataPathsOut } from '../helpers/no-data-path-out';
import { CfnTemplateJson, Json, onlyResource } from '../helpers/template';

const reading: Partial<Record<VariantName, CfnTemplateJson>> = {};
const network: Partial<Record<VariantName, CfnTemplateJson>> = {};
const data: Partial<Record<VariantName, CfnTemplateJson>> = {};
beforeAll(() => {
  for (const v of Object.keys(VARIANTS) as VariantName[]) {
    const s = synthStudy(VARIANTS[v]());
    reading[v] = s.reading.toJSON() as CfnTemplateJson;
    network[v] = s.network.toJSON() as CfnTemplateJson;
    data[v] = s.data.toJSON() as CfnTemplateJson;
  }
}, 60_000);

test.each(Object.keys(VARIANTS) as VariantName[])('the %s study has no data path out', (variant) => {
  expect(findDataPathsOut(reading[variant]!)).toEqual([]);
  expect(findDataPathsOut(network[variant]!)).toEqual([]);
  expect(findDataPathsOut(data[variant]!)).toEqual([]);
});

describe('the checker fails on a bucket with ACLs', () => {
  const bucketId = (t: CfnTemplateJson, prefix: string) => Object.keys(t.Resources).find((id) => id.startsWith(prefix) && t.Resources[id].Type === 'AWS::S3::Bucket')!;

  test('the study’s access-log bucket back on BucketOwnerPreferred (issue 10 item 7)', () => {
    const t = structuredClone(data.example!) as CfnTemplateJson;
    const id = bucketId(t, 'ScansAccessLogs');
    (t.Resources[id].Properties as Record<string, Json>).OwnershipControls = { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] };
    expect(findDataPathsOut(t)).toEqual([`${id}: ACLs are enabled (ObjectOwnership is not BucketOwnerEnforced) on a bucket that is not a CloudFront log target`]);
  });

  test('CloudFront’s log bucket once no distribution logs to it', () => {
    const t = structuredClone(reading.example!) as CfnTemplateJson;
    const [, distribution] = onlyResource(t, 'AWS::CloudFront::Distribution');
    delete ((distribution.Properties as Record<string, Record<string, Json>>).DistributionConfig as Record<string, Json>).Logging;
    expect(findDataPathsOut(t)).toEqual([expect.stringMatching(/^PortalCloudFrontLogs[0-9A-F]{8}: ACLs are enabled/)]);
  });
});

test('a study that allows paste-in passes only when the checker is told so', () => {
  const pasteIn = synthStudy(buildStudy({ fleet: { allowPasteIn: true } })).reading;
  expect(findDataPathsOut(pasteIn)).toEqual([expect.stringMatching(/CLIPBOARD_COPY_FROM_LOCAL_DEVICE is ENABLED/)]);
  expect(findDataPathsOut(pasteIn, { allowPasteIn: true })).toEqual([]);
}, 30_000);

describe('the checker fails on a template that opens a path', () => {
  /** A deep copy of the example's reading template, changed by `mutate`. */
  const mutated = (mutate: (t: CfnTemplateJson, ids: { fleet: string; stack: string; role: string }) => void): Template => {
    const t = structuredClone(reading.example!) as CfnTemplateJson;
    const [fleet, fleetResource] = onlyResource(t, 'AWS::AppStream::Fleet');
    const [stack] = onlyResource(t, 'AWS::AppStream::Stack');
    const role = (fleetResource.Properties!.IamRoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    mutate(t, { fleet, stack, role });
    return Template.fromJSON(t as never);
  };
  type Props = Record<string, unknown>;
  const props = (t: CfnTemplateJson, id: string) => t.Resources[id].Properties as Props;
  const settings = (t: CfnTemplateJson, id: string) => props(t, id).UserSettings as Array<{ Action: string; Permission: string }>;
  const scansObjects = { 'Fn::Join': ['', [{ 'Fn::GetStackOutput': { StackName: 'ReadRoom-example-Data', Region: 'ap-northeast-2', OutputName: 'ScansArn' } }, '/*']] };
  const readStatement = (Resource: Json, Action: Json = 's3:GetObject'): Json => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource }] });

  test.each(TRANSFER_ACTIONS)('%s set to ENABLED', (action) => {
    const t = mutated((t, { stack }) => {
      settings(t, stack).find((x) => x.Action === action)!.Permission = 'ENABLED';
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining(`${action} is ENABLED`)]);
  });

  test.each(TRANSFER_ACTIONS)('%s left out (AppStream enables it)', (action) => {
    const t = mutated((t, { stack }) => {
      props(t, stack).UserSettings = settings(t, stack).filter((x) => x.Action !== action);
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining(`${action} is not set`)]);
  });

  test('no user settings at all', () => {
    const t = mutated((t, { stack }) => delete props(t, stack).UserSettings);
    expect(findDataPathsOut(t)).toHaveLength(TRANSFER_ACTIONS.length);
  });

  test.each(['HOMEFOLDERS', 'GOOGLE_DRIVE', 'ONE_DRIVE'])('a %s storage connector', (ConnectorType) => {
    const t = mutated((t, { stack }) => {
      props(t, stack).StorageConnectors = [{ ConnectorType }];
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining(`storage connectors ${ConnectorType}`)]);
  });

  test('default internet access on the fleet', () => {
    const t = mutated((t, { fleet }) => {
      props(t, fleet).EnableDefaultInternetAccess = true;
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('EnableDefaultInternetAccess is not false')]);
  });

  test('default internet access on the image builder', () => {
    const t = mutated((t) => {
      props(t, onlyResource(t, 'AWS::AppStream::ImageBuilder')[0]).EnableDefaultInternetAccess = true;
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('EnableDefaultInternetAccess is not false')]);
  });

  test('an inline role policy reading the whole scans bucket', () => {
    const t = mutated((t, { role }) => {
      props(t, role).Policies = [{ PolicyName: 'reads', PolicyDocument: readStatement(scansObjects) }];
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringMatching(/may s3:GetObject on .*\/\* \(inline policy reads\)/)]);
  });

  test('an attached AWS::IAM::Policy granting s3:* on every bucket', () => {
    const t = mutated((t, { role }) => {
      t.Resources.Grant = { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'grant', Roles: [{ Ref: role }], PolicyDocument: readStatement('*', ['s3:*']) } };
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringMatching(/may s3:\* on \* \(AWS::IAM::Policy Grant\)/)]);
  });

  test('a customer-managed policy, listed on the role, with s3:Get* on arn:aws:s3:::*', () => {
    const t = mutated((t, { role }) => {
      t.Resources.Managed = { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: readStatement('arn:aws:s3:::*', 's3:Get*') } };
      props(t, role).ManagedPolicyArns = [{ Ref: 'Managed' }];
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('managed policy Managed')]);
  });

  test('an AWS-managed policy on the role (its content is not in the template)', () => {
    const t = mutated((t, { role }) => {
      props(t, role).ManagedPolicyArns = ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'];
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('AmazonS3ReadOnlyAccess')]);
  });

  test('an Allow with NotResource', () => {
    const t = mutated((t, { role }) => {
      props(t, role).Policies = [{ PolicyName: 'sneaky', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::other/*' }] } }];
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('NotAction/NotResource')]);
  });

  test('but not on case-scoped reads, other services or Deny statements', () => {
    const t = mutated((t, { role }) => {
      props(t, role).Policies = [
        {
          PolicyName: 'scoped',
          PolicyDocument: {
            Statement: [
              { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ Ref: 'Bucket' }, '/cases/${aws:PrincipalTag/case}/*']] } },
              { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' },
              { Effect: 'Deny', Action: 's3:*', Resource: '*' },
            ],
          },
        },
      ];
    });
    expect(findDataPathsOut(t)).toEqual([]);
  });
});

describe('the checker fails on a network template that opens DNS as a way out', () => {
  type Props = Record<string, Json>;
  /** A deep copy of the example's network template, changed by `mutate`. */
  const mutated = (mutate: (t: CfnTemplateJson, ids: Record<'vpc' | 'group' | 'association' | 'allowed' | 'everything' | 'logging', string>) => void): CfnTemplateJson => {
    const t = structuredClone(network.example!) as CfnTemplateJson;
    const idOf = (type: string, prefix = '') => Object.keys(t.Resources).find((id) => t.Resources[id].Type === type && id.startsWith(prefix))!;
    mutate(t, {
      vpc: idOf('AWS::EC2::VPC'),
      group: idOf('AWS::Route53Resolver::FirewallRuleGroup'),
      association: idOf('AWS::Route53Resolver::FirewallRuleGroupAssociation'),
      allowed: idOf('AWS::Route53Resolver::FirewallDomainList', 'NetworkDnsFirewallAllowed'),
      everything: idOf('AWS::Route53Resolver::FirewallDomainList', 'NetworkDnsFirewallEverything'),
      logging: idOf('AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation'),
    });
    return t;
  };
  const props = (t: CfnTemplateJson, id: string) => t.Resources[id].Properties as Props;
  const rules = (t: CfnTemplateJson, id: string) => props(t, id).FirewallRules as Array<Record<string, Json>>;

  test('no rule group associated with the VPC', () => {
    const t = mutated((t, { association }) => delete t.Resources[association]);
    expect(findDataPathsOut(t)).toEqual([expect.stringMatching(/^NetworkVpc\w+: no DNS Firewall rule group is associated/)]);
  });

  test('the last rule allows instead of blocking', () => {
    const t = mutated((t, { group }) => {
      rules(t, group)[1].Action = 'ALLOW';
      delete rules(t, group)[1].BlockResponse;
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('ALLOW lets * through'), expect.stringContaining('no DNS Firewall rule blocks every other name')]);
  });

  test('the last rule blocks only some names', () => {
    const t = mutated((t, { everything }) => {
      props(t, everything).Domains = ['evil.example.org'];
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('no DNS Firewall rule blocks every other name')]);
  });

  test('a block that answers NODATA (AppStream needs NXDOMAIN)', () => {
    const t = mutated((t, { group }) => {
      rules(t, group)[1].BlockResponse = 'NODATA';
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('blocks with NODATA, not NXDOMAIN')]);
  });

  test.each(['*.amazonaws.com', '*', 'data.attacker.example.org', '*.ap-northeast-2.amazonaws.com'])('%s on the allow list', (domain) => {
    const t = mutated((t, { allowed }) => {
      (props(t, allowed).Domains as string[]).push(domain);
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining(`ALLOW lets ${domain} through`)]);
  });

  test('an allow rule ranked after the block is never reached, so it opens nothing', () => {
    const t = mutated((t, { group, everything }) => {
      rules(t, group).push({ Priority: 300, Action: 'ALLOW', FirewallDomainListId: { 'Fn::GetAtt': [everything, 'Id'] } });
    });
    expect(findDataPathsOut(t)).toEqual([]);
  });

  test('an allow rule whose domain list is not in the template', () => {
    const t = mutated((t, { group }) => {
      rules(t, group)[0].FirewallDomainListId = 'rslvr-fdl-0123456789abcdef';
    });
    expect(findDataPathsOut(t)).toEqual([expect.stringContaining('not a literal list in this template')]);
  });

  test('query logging off', () => {
    const t = mutated((t, { logging }) => delete t.Resources[logging]);
    expect(findDataPathsOut(t)).toEqual([expect.stringMatching(/^NetworkVpc\w+: DNS queries are not logged/)]);
  });
});
