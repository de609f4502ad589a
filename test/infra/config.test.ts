/**
 * The study file: every committed study parses; each rule rejects a bad value with a message that
 * names the field path and the rule; omitted fields get the documented defaults; and two studies
 * deploy side by side (one app, no physical name in common, no hand-written export names).
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { STUDIES_DIR, loadStudy } from '../../bin/load-study';
import { StudyConfigError, StudyConfigInput, parseStudyConfig } from '../../lib/config/schema';
import { studyNames } from '../../lib/config/names';
import { StudyStacks, addStudy } from '../../lib/stacks';
import { buildStudy, exampleInput } from '../helpers/studies';
import { createTestApp } from '../helpers/test-app';
import { CfnTemplateJson, Json, collect } from '../helpers/template';

/** A copy of the example input with the value at `path` replaced (`undefined` removes the key). */
function withField(fieldPath: string, value: unknown): StudyConfigInput {
  const input = exampleInput() as unknown as Record<string, unknown>;
  const keys = fieldPath.split('.');
  let node: Record<string, unknown> = input;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return input as unknown as StudyConfigInput;
}

function issuesOf(input: unknown): ReadonlyArray<{ path: string; message: string }> {
  try {
    parseStudyConfig(input, 'studies/bad.json');
  } catch (e) {
    expect(e).toBeInstanceOf(StudyConfigError);
    expect((e as Error).message).toMatch(/^Invalid study config studies\/bad\.json:/);
    return (e as StudyConfigError).issues;
  }
  throw new Error('expected the study to be rejected');
}

describe('committed studies', () => {
  const files = readdirSync(STUDIES_DIR).filter((f) => f.endsWith('.json') && f !== 'study.schema.json');
  test('there is at least the example', () => expect(files).toContain('example.json'));
  test.each(files)('%s parses and matches its file name', (file) => {
    const id = path.basename(file, '.json');
    expect(loadStudy(id).studyId).toBe(id);
  });
});

describe('loading', () => {
  test('rejects a study id that cannot be a file name', () => expect(() => loadStudy('../etc')).toThrow(/Study id '..\/etc' must be lowercase/));
  test('names the missing file', () => expect(() => loadStudy('nope')).toThrow(/No study file studies\/nope\.json/));
});

/** [field path to change, bad value, path the error must name, the rule it must state]. */
/** An ACM certificate ARN in us-east-1 (CloudFront's region for certificates). */
const CERT = 'arn:aws:acm:us-east-1:111122223333:certificate/0b3c1a52-6f0e-4d1e-9a55-3c2f1e7d8a90';

const BAD: ReadonlyArray<[string, unknown, string, RegExp]> = [
  ['studyId', 'Example', 'studyId', /lowercase letters, digits and dashes/],
  ['studyId', 'ab', 'studyId', /3–20 characters/],
  ['studyId', 'a-very-long-study-id-x', 'studyId', /3–20 characters/],
  ['displayName', '', 'displayName', />=1 characters/],
  ['account', '1234', 'account', /12-digit AWS account id/],
  ['region', 'seoul', 'region', /AWS region such as/],
  ['region', 'us-east-1', 'network.availabilityZones', /must be zones of us-east-1/],
  ['tags.owner', undefined, 'tags.owner', /expected string, received undefined/],
  ['tags.aws:createdBy', 'me', 'tags', /not start with aws:/],
  ['network.cidr', '10.40.0.0/8', 'network.cidr', /prefix of \/16 to \/24/],
  ['network.cidr', '10.400.0.0/20', 'network.cidr', /octet above 255/],
  ['network.cidr', '198.19.0.0/20', 'network.cidr', /reserved for AppStream/],
  ['network.availabilityZones', ['ap-northeast-2a'], 'network.availabilityZones', /exactly 2 items/],
  ['network.availabilityZones', ['ap-northeast-2a', 'ap-northeast-2a'], 'network.availabilityZones', /two different zones/],
  ['network.availabilityZones', undefined, 'network.availabilityZones', /required when region is set/],
  ['fleet.type', 'SPOT', 'fleet.type', /Expected 'ALWAYS_ON' \| 'ON_DEMAND' \| 'ELASTIC'/],
  ['fleet.instanceType', 'm5.large', 'fleet.instanceType', /AppStream instance type/],
  ['fleet.image', {}, 'fleet.image', /exactly one of name or arn/],
  ['fleet.image', { arn: 'arn:aws:s3:::viewer' }, 'fleet.image.arn', /AppStream image ARN/],
  ['fleet.minCapacity', 40, 'fleet.minCapacity', /must not exceed fleet.maxCapacity/],
  ['fleet.maxCapacity', 1.5, 'fleet.maxCapacity', /expected int/],
  ['fleet.maxCapacity', 501, 'fleet.maxCapacity', /<=500/],
  ['fleet.maxCapacity', 20, 'fleet.schedule.0.capacity', /must not exceed fleet.maxCapacity/],
  ['fleet.targetUtilizationPercent', 99, 'fleet.targetUtilizationPercent', /<=95/],
  ['fleet.streamView', 'WINDOW', 'fleet.streamView', /expected one of "APP"\|"DESKTOP"/],
  ['fleet.scheduleTimeZone', 'Seoul/Korea', 'fleet.scheduleTimeZone', /IANA time zone/],
  ['fleet.schedule.0.start', '25:00', 'fleet.schedule.0.start', /24-hour time HH:MM/],
  ['fleet.schedule.0.end', '07:00', 'fleet.schedule.0.end', /start must be before end/],
  ['fleet.schedule.0.days', ['SAT', 'SAT'], 'fleet.schedule.0.days', /must not repeat a day/],
  ['fleet.schedule.0.days', ['SATURDAY'], 'fleet.schedule.0.days.0', /expected one of "MON"/],
  ['fleet.schedule.0.days', [], 'fleet.schedule.0.days', />=1 items/],
  ['fleet.schedule.0.name', 'Weekend', 'fleet.schedule.0.name', /lowercase letters, digits and dashes/],
  ['fleet.schedule.1.name', 'weekend', 'fleet.schedule', /window names must be unique/],
  ['fleet.schedule.0.capacity', 0, 'fleet.schedule.0.capacity', />=1/],
  ['fleet.timeouts.idleDisconnectSeconds', 30, 'fleet.timeouts.idleDisconnectSeconds', /0 \(off\) or 60–36000 seconds/],
  ['fleet.timeouts.disconnectSeconds', 59, 'fleet.timeouts.disconnectSeconds', />=60/],
  ['fleet.timeouts.disconnectSeconds', 20_000, 'fleet.timeouts.disconnectSeconds', /must not exceed maxUserDurationSeconds/],
  ['fleet.timeouts.maxUserDurationSeconds', 300, 'fleet.timeouts.maxUserDurationSeconds', />=600/],
  ['fleet.timeouts.maxUserDurationSeconds', 400_000, 'fleet.timeouts.maxUserDurationSeconds', /<=360000/],
  ['fleet.allowPasteOut', true, 'fleet', /Unrecognized key: "allowPasteOut"/],
  ['imageBuilder.instanceType', 'big', 'imageBuilder.instanceType', /AppStream instance type/],
  ['streamingUrlValiditySeconds', 0, 'streamingUrlValiditySeconds', />=1/],
  ['streamingUrlValiditySeconds', 301, 'streamingUrlValiditySeconds', /at most 300 seconds: a streaming URL is a bearer credential/],
  ['streamingUrlValiditySeconds', 604_800, 'streamingUrlValiditySeconds', /at most 300 seconds/],
  ['readers.mfa', 'OFF', 'readers.mfa', /expected one of "REQUIRED"\|"OPTIONAL"/],
  ['readers.groups', ['readers'], 'readers.groups.0', /expected one of "reader"/],
  ['readers.groups', ['reader', 'reader'], 'readers.groups', /must not repeat a group/],
  ['readers.tokenValidityMinutes', 120, 'readers.tokenValidityMinutes', /<=60/],
  ['portal.domain', { name: 'https://readroom.example.org/', certificateArn: CERT }, 'portal.domain.name', /lowercase host name without scheme or path/],
  ['portal.domain', { name: 'readroom.example.org', certificateArn: CERT.replace('us-east-1', 'ap-northeast-2') }, 'portal.domain.certificateArn', /in us-east-1/],
  ['portal.domain', { name: 'readroom.example.org' }, 'portal.domain.certificateArn', /expected string/],
  ['portal.domain', { name: 'readroom.example.org', certificateArn: CERT, streamingName: 'stream.example.org' }, 'portal.domain.streamingName', /subdomain of portal.domain.name/],
  ['portal.domain', { name: 'readroom.example.org', certificateArn: CERT, streamingName: 'evilreadroom.example.org' }, 'portal.domain.streamingName', /subdomain of portal.domain.name/],
  ['portal.embedScript', '/etc/appstream-embed.js', 'portal.embedScript', /relative path to a .js file inside the repository/],
  ['portal.embedScript', '../vendor/appstream-embed.js', 'portal.embedScript', /relative path to a .js file inside the repository/],
  ['portal.embedHostDomains', ['readroom.example.org'], 'portal', /Unrecognized key: "embedHostDomains"/],
  ['portal.callbackUrls', [], 'portal', /Unrecognized key: "callbackUrls"/],
  ['retention.data', 'keep', 'retention.data', /expected one of "retain"\|"destroy"/],
  ['retention.logRetentionDays', 10, 'retention.logRetentionDays', /must be one of 1, 3, 5, 7, 14/],
  ['retention.noncurrentVersionDays', 0, 'retention.noncurrentVersionDays', />=1/],
  ['budget.monthlyUsd', 0, 'budget.monthlyUsd', />0/],
  ['budget.alertEmails', [], 'budget.alertEmails', />=1 items/],
  ['budget.alertEmails', ['reading-centre'], 'budget.alertEmails.0', /Invalid email/],
  ['budget.thresholdsPercent', [80, 80], 'budget.thresholdsPercent', /must not repeat a threshold/],
  ['budget.thresholdsPercent', [0], 'budget.thresholdsPercent.0', />=1/],
  ['costCenter', 'EYE', '(root)', /Unrecognized key: "costCenter"/],
];

describe('a bad value fails with the field path and the rule', () => {
  test(`the table has at least 25 one-field mutations (${BAD.length})`, () => expect(BAD.length).toBeGreaterThanOrEqual(25));

  test.each(BAD)('%s = %j → %s', (field, value, expectedPath, rule) => {
    const issues = issuesOf(withField(field, value));
    expect(issues).toEqual(expect.arrayContaining([{ path: expectedPath, message: expect.stringMatching(rule) }]));
  });

  test('a custom domain with a streaming subdomain and an embed script is taken as written', () => {
    const domain = { name: 'readroom.example.org', certificateArn: CERT, streamingName: 'stream.readroom.example.org' };
    const study = parseStudyConfig({ ...withField('portal.domain', domain), portal: { domain, embedScript: 'vendor/appstream-embed.js' } } as StudyConfigInput);
    expect(study.portal).toEqual({ domain, embedScript: 'vendor/appstream-embed.js' });
  });

  test('every problem is reported at once, each on its own line', () => {
    const input = withField('studyId', 'X');
    (input as { budget: { monthlyUsd: number } }).budget.monthlyUsd = -5;
    const error = (() => {
      try {
        parseStudyConfig(input, 'studies/x.json');
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a rejection');
    })();
    expect(error.message.split('\n')).toEqual([
      'Invalid study config studies/x.json:',
      expect.stringMatching(/^ {2}- studyId: /),
      expect.stringMatching(/^ {2}- budget\.monthlyUsd: /),
    ]);
  });
});

describe('defaults', () => {
  /** The smallest valid study: only the fields without a default. */
  const minimal = {
    studyId: 'minimal',
    displayName: 'Minimal',
    region: 'ap-northeast-2',
    tags: { owner: 'o', costCentre: 'c' },
    network: { cidr: '10.50.0.0/20', availabilityZones: ['ap-northeast-2a', 'ap-northeast-2c'] },
    fleet: { type: 'ON_DEMAND', instanceType: 'stream.standard.small', image: { name: 'viewer' }, maxCapacity: 5 },
    budget: { monthlyUsd: 100, alertEmails: ['a@example.org'] },
  };

  test('are the documented ones', () => {
    const study = parseStudyConfig(minimal);
    expect(study).toMatchObject({
      streamingUrlValiditySeconds: 60,
      readers: { mfa: 'REQUIRED', groups: ['reader', 'adjudicator', 'coordinator', 'admin'], tokenValidityMinutes: 15, threatProtection: true },
      portal: {},
      retention: { data: 'retain', logRetentionDays: 365, noncurrentVersionDays: 90 },
      budget: { thresholdsPercent: [80, 100] },
      fleet: {
        streamView: 'APP',
        allowPasteIn: false,
        minCapacity: 0,
        targetUtilizationPercent: 75,
        schedule: [],
        scheduleTimeZone: 'Asia/Seoul',
        timeouts: { idleDisconnectSeconds: 900, disconnectSeconds: 900, maxUserDurationSeconds: 14_400 },
      },
    });
    expect(study.account).toBeUndefined();
    expect(study.imageBuilder).toBeUndefined();
  });

  test('a default object fills in the same values as its fields’ own defaults', () => {
    const explicitTimeouts = parseStudyConfig({ ...minimal, fleet: { ...minimal.fleet, timeouts: {} } });
    expect(explicitTimeouts.fleet.timeouts).toEqual(parseStudyConfig(minimal).fleet.timeouts);
    const explicitRetention = parseStudyConfig({ ...minimal, retention: {} });
    expect(explicitRetention.retention).toEqual(parseStudyConfig(minimal).retention);
    const explicitReaders = parseStudyConfig({ ...minimal, readers: {} });
    expect(explicitReaders.readers).toEqual(parseStudyConfig(minimal).readers);
  });
});

describe('two studies in one app', () => {
  let stacks: StudyStacks[];
  let templates: Record<string, CfnTemplateJson>;
  beforeAll(() => {
    const app = createTestApp();
    const second = buildStudy({ studyId: 'example2', displayName: 'Eye Survey Grading 2027', network: { cidr: '10.41.0.0/20' } });
    stacks = [addStudy(app, buildStudy()), addStudy(app, second)];
    templates = Object.fromEntries(stacks.flatMap((s) => Object.values(s)).map((stack) => [stack.stackName, Template.fromStack(stack).toJSON() as CfnTemplateJson]));
  }, 60_000);

  /**
   * Names that are unique only inside a parent the study owns (a pool's groups, a table's
   * attributes, a scalable target's actions) or that name something outside the study (an AWS
   * service, a source image): they may repeat across studies by design.
   */
  const SCOPED: ReadonlySet<string> = new Set([
    'AWS::EC2::VPCEndpoint.ServiceName',
    'AWS::AppStream::ImageBuilder.ImageName',
    'AWS::AppStream::Fleet.ImageName',
    'AWS::DynamoDB::GlobalTable.AttributeName',
    'AWS::DynamoDB::GlobalTable.IndexName',
    'AWS::Cognito::UserPoolGroup.GroupName',
    'AWS::Cognito::UserPool.Name',
    'AWS::ApplicationAutoScaling::ScalableTarget.ScheduledActionName',
    'AWS::ApplicationAutoScaling::ScalingPolicy.PredefinedMetricType',
    'AWS::IAM::Role.PolicyName',
    // Names unique only within their parent (the role, the API): they cannot clash between studies.
    'AWS::IAM::Policy.PolicyName',
    'AWS::ApiGatewayV2::Authorizer.Name',
    'AWS::ApiGatewayV2::Stage.StageName',
    'AWS::ApiGateway::Stage.StageName',
  ]);

  /** Every literal `Name`/`*Name` value of one study's templates, plus its stack names. */
  const physicalNames = (s: StudyStacks): Map<string, string> => {
    const names = new Map<string, string>();
    for (const stack of Object.values(s)) {
      names.set(stack.stackName, `stack ${stack.stackName}`);
      for (const [id, r] of Object.entries(templates[stack.stackName].Resources)) {
        // OutputName only appears inside Fn::GetStackOutput: a reference, not a name.
        for (const { key, value } of collect(r.Properties as Json, (k, v) => /Name$/.test(k) && k !== 'OutputName' && typeof v === 'string')) {
          if (!SCOPED.has(`${r.Type}.${key}`)) names.set(value as string, `${stack.stackName}/${id}.${key}`);
        }
      }
    }
    return names;
  };

  test('synthesize six stacks with their own names', () => {
    expect(Object.keys(templates).sort()).toEqual(
      [...Object.values(studyNames('example')), ...Object.values(studyNames('example2'))].filter((n) => n.startsWith('ReadRoom-')).sort(),
    );
  });

  test('share no physical name', () => {
    const [a, b] = stacks.map(physicalNames);
    // The names a study must choose itself are among those compared.
    expect([...a.keys()]).toEqual(expect.arrayContaining(['ReadRoom-example-Data', 'readroom-example-fleet', 'readroom-example', 'readroom-example-builder']));
    const shared = [...a.keys()].filter((n) => b.has(n)).map((n) => `${n} (${a.get(n)} / ${b.get(n)})`);
    expect(shared).toEqual([]);
  });

  test('wire stacks with CDK-managed references only, each within its own study', () => {
    for (const [stackName, template] of Object.entries(templates)) {
      const study = stacks.find((s) => Object.values(s).some((st) => st.stackName === stackName))!;
      const own = Object.values(study).map((st) => st.stackName);
      const imports = collect(template as unknown as Json, (k) => k === 'Fn::ImportValue');
      // CDK's own exports are named "<stack>:ExportsOutput…"; a hand-written name would not be.
      for (const { value } of imports) expect(value).toEqual(expect.stringMatching(/^ReadRoom-[a-z0-9-]+-[A-Za-z]+:ExportsOutput/));
      for (const { value } of collect(template as unknown as Json, (k) => k === 'Fn::GetStackOutput')) {
        const ref = value as { StackName: string; OutputName: string };
        expect(own).toContain(ref.StackName);
        expect(ref.OutputName).toMatch(/^PublishOutput/);
      }
    }
  });
});
