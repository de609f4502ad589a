/**
 * "No data path out": no transfer setting left on, no storage connector, no internet access, no
 * fleet role that can read a whole bucket. The checker (test/helpers/no-data-path-out.ts) runs over
 * every variant's reading stack, and is shown to fail on templates mutated to open each path.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { VARIANTS, VariantName, buildStudy } from '../helpers/studies';
import { synthStudy } from '../helpers/test-app';
import { TRANSFER_ACTIONS, findDataPathsOut } from '../helpers/no-data-path-out';
import { CfnTemplateJson, Json, onlyResource } from '../helpers/template';

const reading: Partial<Record<VariantName, CfnTemplateJson>> = {};
beforeAll(() => {
  for (const v of Object.keys(VARIANTS) as VariantName[]) reading[v] = synthStudy(VARIANTS[v]()).reading.toJSON() as CfnTemplateJson;
}, 60_000);

test.each(Object.keys(VARIANTS) as VariantName[])('the %s study has no data path out', (variant) => {
  expect(findDataPathsOut(reading[variant]!)).toEqual([]);
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
