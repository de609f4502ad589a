/**
 * cdk-nag (AWS Solutions, HIPAA Security, NIST 800-53 rev 5) over whole apps: zero unacknowledged
 * errors and warnings for the example study and its Elastic and `destroy` variants. Every
 * acknowledgement lives on the narrowest construct that owns the resource (see the README table).
 */
import { CfnResource, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { addStudy } from '../../lib/stacks';
import { VARIANTS, VariantName } from '../helpers/studies';
import { createTestApp } from '../helpers/test-app';
import { formatFindings, nagFindings } from '../helpers/nag';

describe.each(Object.keys(VARIANTS) as VariantName[])('cdk-nag over the %s study', (variant) => {
  let app: ReturnType<typeof createTestApp>;
  beforeAll(() => {
    app = createTestApp();
    addStudy(app, VARIANTS[variant]());
    app.synth();
  }, 60_000);

  test('has no unacknowledged error or warning in any pack', () => {
    const findings = nagFindings(app);
    if (findings.length) console.log(`cdk-nag findings (${variant}):\n${formatFindings(findings)}`);
    expect(findings.map((f) => `${f.rule} at ${f.path}`)).toEqual([]);
  });
});

describe('the nag check itself', () => {
  test('reports a finding once an acknowledged rule would apply elsewhere', () => {
    // Guards against a check that always passes: an unencrypted log group must be reported.
    const app = createTestApp();
    const { reading } = addStudy(app, VARIANTS.example());
    new logs.LogGroup(reading, 'Unencrypted');
    const rules = nagFindings(app).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['HIPAA.Security-CloudWatchLogGroupEncrypted', 'NIST.800.53.R5-CloudWatchLogGroupEncrypted']));
  });

  test('nag acknowledgements sit on single resources, never on a stack or the app', () => {
    const app = createTestApp();
    const stacks = addStudy(app, VARIANTS.example());
    const nagIds = (scope: IConstruct) =>
      scope.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as Record<string, string>))
        .filter((id) => /(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5)-/.test(id));
    for (const scope of [app, stacks.network, stacks.data, stacks.reading]) expect(nagIds(scope)).toEqual([]);
    // Every nag acknowledgement is on the one L1 resource it is about.
    const holders = app.node.findAll().filter((c) => nagIds(c).length > 0);
    expect(holders.length).toBeGreaterThan(0);
    for (const c of holders) expect({ path: c.node.path, l1: CfnResource.isCfnResource(c) }).toEqual({ path: c.node.path, l1: true });
  });
});
