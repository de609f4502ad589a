/**
 * Each reading function's contract with the template, as allow-lists: the exact IAM actions its
 * role holds and on which resources (any extra action or resource fails), the managed policies
 * attached to it, and the environment variables it gets, parsed with its own env.ts schema.
 */
import * as path from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type * as z from 'zod';
import { READING_FUNCTIONS } from '../../lib/constructs/reading-api';
import { keys } from '../../lambda/store/keys';
import { buildStudy } from '../helpers/studies';
import { SynthesizedStudy, synthStudy } from '../helpers/test-app';
import { CfnTemplateJson, Json, json, resourcesOfType } from '../helpers/template';

let s: SynthesizedStudy;
let templates: Record<string, CfnTemplateJson>;
/** Logical id → readable name, for the resources the grants may name. */
let labels: Record<string, string>;
beforeAll(() => {
  s = synthStudy(buildStudy());
  templates = {
    [s.stacks.network.stackName]: json(s.network),
    [s.stacks.data.stackName]: json(s.data),
    [s.stacks.reading.stackName]: json(s.reading),
  };
  const data = s.stacks.data;
  labels = {
    [logicalId(data.reading.table)]: 'table',
    [logicalId(data.key)]: 'key',
    [logicalId(data.scans.bucket)]: 'scans',
    [logicalId(data.readers.userPool)]: 'pool',
    ...Object.fromEntries(Object.entries(data.scans.access).map(([name, policy]) => [logicalId(policy), `scans.access.${name}`])),
  };
}, 60_000);

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);

/** The one `*EnvSchema` export of `lambda/<folder>/env.ts` (the contract the function parses its environment with). */
function envSchemaOf(folder: string): z.ZodObject {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(path.join(__dirname, '..', '..', 'lambda', folder, 'env')) as Record<string, unknown>;
  const schemas = Object.entries(module).filter(([name]) => name.endsWith('EnvSchema'));
  if (schemas.length !== 1) throw new Error(`lambda/${folder}/env.ts must export exactly one *EnvSchema, found ${schemas.map(([n]) => n).join(', ') || 'none'}`);
  return schemas[0][1] as z.ZodObject;
}

/** Construct id in the reading stack → the env schema of its `lambda/<folder>`, for every row of the function table. */
const FUNCTIONS: Record<string, { env: z.ZodObject }> = Object.fromEntries(Object.values(READING_FUNCTIONS).map((f) => [f.id, { env: envSchemaOf(f.folder) }]));

type Props = Record<string, Json>;
const reading = () => templates[s.stacks.reading.stackName];
const props = (template: CfnTemplateJson, id: string): Props => template.Resources[id].Properties ?? {};

/** The function's logical id and its role's, dead-letter queue's and log group's. */
function functionIds(fn: string, template = reading()) {
  const ids = Object.keys(resourcesOfType(template, 'AWS::Lambda::Function')).filter((id) => id.startsWith(`Api${fn}`));
  expect(ids).toHaveLength(1);
  const p = props(template, ids[0]) as { Role: { 'Fn::GetAtt': string[] }; DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': string[] } }; LoggingConfig: { LogGroup: { Ref: string } } };
  return { fn: ids[0], role: p.Role['Fn::GetAtt'][0], dlq: p.DeadLetterConfig.TargetArn['Fn::GetAtt'][0], logs: p.LoggingConfig.LogGroup.Ref };
}

/** Follows a cross-stack output (`Fn::GetStackOutput`) to the value its producer exports. */
function followOutput(value: Json, all = templates): Json {
  const out = (value as { 'Fn::GetStackOutput'?: { StackName: string; OutputName: string } } | null)?.['Fn::GetStackOutput'];
  if (!out) return value;
  const produced = all[out.StackName]?.Outputs?.[out.OutputName];
  if (!produced) throw new Error(`no output ${out.OutputName} in ${out.StackName}`);
  return followOutput(produced.Value, all);
}

/**
 * A resource of a statement as text: references become `<name>.<attribute>` (the name from
 * `names`, else the raw logical id so a surprise shows up in the diff), pseudo parameters
 * `${AWS::AccountId}`, joins are joined.
 */
function nameOf(value: Json, names: Record<string, string>): string {
  value = followOutput(value);
  if (typeof value === 'string') return value;
  const v = value as Record<string, Json>;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, Json[]];
    return parts.map((p) => nameOf(p, names)).join(sep);
  }
  if (typeof v.Ref === 'string') return v.Ref.startsWith('AWS::') ? `\${${v.Ref}}` : (names[v.Ref] ?? v.Ref);
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    return `${names[id] ?? id}.${attr}`;
  }
  throw new Error(`cannot describe ${JSON.stringify(value)}`);
}

interface Statement {
  Effect: string;
  Action?: string | string[];
  Resource?: Json;
  Condition?: Json;
  NotAction?: unknown;
  NotResource?: unknown;
}

const statementsIn = (doc: Json | undefined): Statement[] => (doc as unknown as { Statement: Statement[] }).Statement;

/** What a role holds: action → sorted resources (with the condition, if any), and the names of its managed policies. */
interface RoleGrants {
  readonly actions: Record<string, string[]>;
  readonly managedPolicies: string[];
}

/**
 * Collects every statement that applies to the role `roleId` of the reading stack: inline
 * policies on the role, `AWS::IAM::Policy`/`RolePolicy` resources naming it (the DefaultPolicy that
 * grants write), customer-managed policies naming it (its base policy) and every ARN in its
 * ManagedPolicyArns (the data stack's object policies; an AWS-managed ARN is listed as is and has
 * no statements to read, so an expected list without it fails).
 */
function grantsOf(all: Record<string, CfnTemplateJson>, roleId: string, names: Record<string, string>): RoleGrants {
  const here = all[s.stacks.reading.stackName];
  const role = here.Resources[roleId];
  expect(role.Type).toBe('AWS::IAM::Role');
  const statements: Statement[] = [];
  const managedPolicies: string[] = [];
  const namesRole = (p: Props) => ((p.Roles ?? []) as Json[]).some((r) => (r as { Ref?: string }).Ref === roleId);
  for (const policy of (role.Properties?.Policies ?? []) as Json[]) statements.push(...statementsIn((policy as Props).PolicyDocument));
  for (const [id, r] of Object.entries(here.Resources)) {
    const p = (r.Properties ?? {}) as Props;
    if (r.Type === 'AWS::IAM::RolePolicy' && (p.RoleName as { Ref?: string }).Ref === roleId) statements.push(...statementsIn(p.PolicyDocument));
    if (!namesRole(p)) continue;
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') statements.push(...statementsIn(p.PolicyDocument));
    if (r.Type === 'AWS::IAM::ManagedPolicy') managedPolicies.push(names[id] ?? id);
  }
  for (const arn of (role.Properties?.ManagedPolicyArns ?? []) as Json[]) {
    const target = followOutput(arn, all);
    const id = (target as { Ref?: string }).Ref;
    const owner = id && Object.values(all).find((t) => t.Resources[id]?.Type === 'AWS::IAM::ManagedPolicy');
    if (!id || !owner) {
      managedPolicies.push(nameOf(arn, names));
      continue;
    }
    managedPolicies.push(names[id] ?? id);
    statements.push(...statementsIn(props(owner, id).PolicyDocument));
  }

  const actions: Record<string, Set<string>> = {};
  for (const st of statements) {
    // Only plain allows: a Deny, NotAction or NotResource would need reading as a whole.
    expect({ Effect: st.Effect, NotAction: st.NotAction, NotResource: st.NotResource }).toEqual({ Effect: 'Allow', NotAction: undefined, NotResource: undefined });
    const condition = st.Condition ? ` if ${JSON.stringify(st.Condition)}` : '';
    const resources = ([st.Resource].flat() as Json[]).map((r) => nameOf(r, names) + condition);
    for (const action of [st.Action ?? []].flat()) for (const r of resources) (actions[action] ??= new Set()).add(r);
  }
  return {
    actions: Object.fromEntries(Object.entries(actions).map(([a, rs]) => [a, [...rs].sort()])),
    managedPolicies: managedPolicies.sort(),
  };
}

/** The grants of function `fn`, with its own log group, dead-letter queue and base policy named `own …`. */
function grantsOfFunction(fn: string, all = templates): RoleGrants {
  const ids = functionIds(fn, all[s.stacks.reading.stackName]);
  const base = Object.keys(resourcesOfType(all[s.stacks.reading.stackName], 'AWS::IAM::ManagedPolicy')).filter((id) => id.startsWith(`Api${fn}BasePolicy`));
  expect(base).toHaveLength(1);
  return grantsOf(all, ids.role, { ...labels, [ids.logs]: 'own logs', [ids.dlq]: 'own dead letters', [base[0]]: 'own base policy' });
}

// ---------------------------------------------------------------------------------------------
// The expected grants, written out. Resource names: `table`, `key`, `scans` are the data stack's
// reading table, study key and scans bucket; `own …` the function's own resources.

const TABLE = ['table.Arn'];
const INDEX = (i: string) => `table.Arn/index/${i}`;
/** Writes only under these partition keys (`dynamodb:LeadingKeys`). */
const TABLE_UNDER = (...keys: string[]) => [`table.Arn if ${JSON.stringify({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } })}`];
/** The study key, only as the named services use it for the function (`kms:ViaService`). */
const KEY_VIA = (...services: string[]) => [`key.Arn if ${JSON.stringify({ StringEquals: { 'kms:ViaService': services.map((x) => `${x}.ap-northeast-2.amazonaws.com`) } })}`];
const KEY = KEY_VIA('dynamodb', 'sqs', 'lambda');
/** What the scans policies add: Decrypt through S3 (reads), a data key too (writes). */
const KEY_S3 = KEY_VIA('s3');
const FLEET_AND_STACK = ['arn:aws:appstream:ap-northeast-2:${AWS::AccountId}:fleet/readroom-example-fleet', 'arn:aws:appstream:ap-northeast-2:${AWS::AccountId}:stack/readroom-example'];

/**
 * What every function's role holds to run at all: its own log group (base policy), its VPC
 * interfaces (no resource-level scope exists), X-Ray, its asynchronous dead-letter queue, and the
 * study key (table items, environment and that queue are encrypted with it).
 */
const RUNTIME: Record<string, string[]> = {
  'logs:CreateLogStream': ['own logs.Arn'],
  'logs:PutLogEvents': ['own logs.Arn'],
  'ec2:AssignPrivateIpAddresses': ['*'],
  'ec2:CreateNetworkInterface': ['*'],
  'ec2:DeleteNetworkInterface': ['*'],
  'ec2:DescribeNetworkInterfaces': ['*'],
  'ec2:UnassignPrivateIpAddresses': ['*'],
  'xray:PutTelemetryRecords': ['*'],
  'xray:PutTraceSegments': ['*'],
  'sqs:SendMessage': ['own dead letters.Arn'],
  'kms:Decrypt': KEY,
  'kms:DescribeKey': KEY,
  'kms:Encrypt': KEY,
  'kms:GenerateDataKey': KEY,
};

const EXPECTED: Record<string, { actions: Record<string, string[]>; managedPolicies: string[] }> = {
  ReaderFunction: {
    actions: {
      ...RUNTIME,
      'dynamodb:GetItem': TABLE,
      'dynamodb:PutItem': TABLE,
      'dynamodb:UpdateItem': TABLE,
      'dynamodb:ConditionCheckItem': TABLE,
      'dynamodb:Query': ['table.Arn', INDEX('gsi1'), INDEX('gsi2')],
      'appstream:CreateStreamingURL': FLEET_AND_STACK,
    },
    managedPolicies: ['own base policy'],
  },
  AdjudicationFunction: {
    actions: {
      ...RUNTIME,
      'dynamodb:GetItem': TABLE,
      // The list's conflict check reads its page's cases (site, exclusions) in one round.
      'dynamodb:BatchGetItem': TABLE,
      'dynamodb:PutItem': TABLE,
      'dynamodb:UpdateItem': TABLE,
      'dynamodb:ConditionCheckItem': TABLE,
      'dynamodb:Query': ['table.Arn', INDEX('gsi2')],
      // The adjudicator's image session (POST /adjudications/{caseId}/session).
      'appstream:CreateStreamingURL': FLEET_AND_STACK,
    },
    managedPolicies: ['own base policy'],
  },
  CoordinatorFunction: {
    actions: {
      ...RUNTIME,
      'dynamodb:GetItem': TABLE,
      'dynamodb:PutItem': TABLE,
      'dynamodb:UpdateItem': TABLE,
      // A withdrawal's transaction checks the read of an assignment nobody saved yet is still absent.
      'dynamodb:ConditionCheckItem': TABLE,
      'dynamodb:Query': ['table.Arn', INDEX('gsi1'), INDEX('gsi2')],
      's3:GetObject': ['scans.Arn/exports/*'],
      // Bulk assignment: the reader group and each reader's site, from this study's pool only.
      'cognito-idp:ListUsersInGroup': ['pool.Arn'],
      'kms:Decrypt': [...KEY, ...KEY_S3],
    },
    managedPolicies: ['own base policy', 'scans.access.readExports'],
  },
  ExportWorkerFunction: {
    actions: {
      ...RUNTIME,
      'dynamodb:BatchGetItem': TABLE,
      // Its job, the pseudonyms and its audit events.
      'dynamodb:PutItem': TABLE_UNDER('EXPORT#*', 'PSEUDONYMS', 'AUDIT#*'),
      'dynamodb:UpdateItem': TABLE_UNDER('EXPORT#*', 'PSEUDONYMS', 'AUDIT#*'),
      'dynamodb:Query': ['table.Arn', INDEX('gsi1')],
      // The stream mapping reads the table's stream as the function.
      'dynamodb:DescribeStream': ['table.StreamArn'],
      'dynamodb:GetRecords': ['table.StreamArn'],
      'dynamodb:GetShardIterator': ['table.StreamArn'],
      'dynamodb:ListStreams': ['table.StreamArn'],
      's3:PutObject': ['scans.Arn/exports/*'],
      's3:AbortMultipartUpload': ['scans.Arn/exports/*'],
      // The mapping's on-failure destination is its own dead-letter queue, which adds nothing.
      'kms:Decrypt': [...KEY, ...KEY_S3],
      'kms:GenerateDataKey': [...KEY, ...KEY_S3],
    },
    managedPolicies: ['own base policy', 'scans.access.writeExports'],
  },
  RegistryFunction: {
    actions: {
      ...RUNTIME,
      // Cases (and their rejections) and audit events.
      'dynamodb:PutItem': TABLE_UNDER('CASE#*', 'AUDIT#*'),
      'dynamodb:UpdateItem': TABLE_UNDER('CASE#*', 'AUDIT#*'),
      'dynamodb:Query': TABLE,
      'kms:Decrypt': [...KEY, ...KEY_S3],
      's3:GetObject': ['scans.Arn/cases/*/manifest.json'],
      's3:ListBucket': ['scans.Arn if {"StringLike":{"s3:prefix":["cases/*"]}}'],
    },
    managedPolicies: ['own base policy', 'scans.access.readManifests'],
  },
  CaseFilesFunction: {
    actions: {
      ...RUNTIME,
      'dynamodb:GetItem': TABLE,
      // Audit events, the session's "copies made" mark, the reader's pseudonym (and its counter).
      'dynamodb:PutItem': TABLE_UNDER('AUDIT#*', 'SESSION#*', 'PSEUDONYMS'),
      'dynamodb:UpdateItem': TABLE_UNDER('AUDIT#*', 'SESSION#*', 'PSEUDONYMS'),
      'dynamodb:Query': TABLE,
      'kms:Decrypt': [...KEY, ...KEY_S3],
      // Session copies: CopyObject reads the case file and writes under views/; the copy's data key.
      'kms:GenerateDataKey': [...KEY, ...KEY_S3],
      's3:GetObject': ['scans.Arn/cases/*', 'scans.Arn/views/*'],
      's3:PutObject': ['scans.Arn/views/*'],
      'appstream:DescribeSessions': FLEET_AND_STACK,
    },
    managedPolicies: ['own base policy', 'scans.access.readCaseFiles'],
  },
};

test('the allow-lists cover exactly the functions of the table', () => {
  expect(Object.keys(EXPECTED).sort()).toEqual(Object.values(READING_FUNCTIONS).map((f) => f.id).sort());
});

describe("write prefixes (`dynamodb:LeadingKeys`) are the store key builders' partition keys", () => {
  /** The fixed part of a partition key (`CASE#…` → `CASE#`, `PSEUDONYMS` → itself). */
  const prefixOf = (key: { pk: string }) => (key.pk.includes('#') ? key.pk.slice(0, key.pk.indexOf('#') + 1) : key.pk);
  /** What each function writing under prefixes writes, by the store's own builders. */
  const WRITES: Record<string, Array<{ pk: string }>> = {
    ExportWorkerFunction: [keys.exportJob('x'), keys.pseudonym('x'), keys.pseudonymCounter(), keys.audit('d', 't', 'x')],
    RegistryFunction: [keys.case('x'), keys.rejection('x', 't', 's'), keys.audit('d', 't', 'x')],
    CaseFilesFunction: [keys.audit('d', 't', 'x'), keys.session('x'), keys.pseudonym('x'), keys.pseudonymCounter()],
  };

  test.each(Object.values(READING_FUNCTIONS).filter((f) => f.access.writesUnder).map((f) => [f.id, f.access.writesUnder!] as const))('%s: %j', (id, literal) => {
    expect([...new Set(WRITES[id].map(prefixOf))].sort()).toEqual([...literal].sort());
  });

  test('every prefix in the table is the partition-key prefix of some key builder', () => {
    const builders = Object.values(keys) as Array<(...args: string[]) => { pk?: string }>;
    const all = new Set(builders.map((b) => b('x', 'x', 'x', 'x')).filter((k): k is { pk: string } => typeof k.pk === 'string').map(prefixOf));
    expect(all.size).toBeGreaterThan(5);
    expect(Object.values(READING_FUNCTIONS).flatMap((f) => f.access.writesUnder ?? []).filter((p) => !all.has(p))).toEqual([]);
  });
});

const sorted = (m: Record<string, string[]>) => Object.fromEntries(Object.entries(m).map(([a, rs]) => [a, [...rs].sort()]));

describe('least privilege, as allow-lists', () => {
  test.each(Object.keys(FUNCTIONS))('%s: exactly these actions, on exactly these resources', (fn) => {
    expect(grantsOfFunction(fn).actions).toEqual(sorted(EXPECTED[fn].actions));
  });

  test.each(Object.keys(FUNCTIONS))('%s: its own base policy and at most one scans policy; nothing AWS-managed, nothing inline on the role', (fn) => {
    expect(grantsOfFunction(fn).managedPolicies).toEqual([...EXPECTED[fn].managedPolicies].sort());
    const role = props(reading(), functionIds(fn).role);
    expect(role.Policies).toBeUndefined();
    expect(role.AssumeRolePolicyDocument).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }] });
  });

  test('the scans policies give reads only Decrypt of the study key, through S3; writes a data key too', () => {
    const keyActions = (name: keyof typeof s.stacks.data.scans.access) => {
      const statements = statementsIn(props(templates[s.stacks.data.stackName], logicalId(s.stacks.data.scans.access[name])).PolicyDocument);
      return statements.filter((st) => [st.Action].flat().some((a) => a?.startsWith('kms:'))).map((st) => ({ actions: st.Action, on: nameOf(st.Resource!, labels) + (st.Condition ? ` if ${JSON.stringify(st.Condition)}` : '') }));
    };
    for (const name of ['readManifests', 'readExports'] as const) expect(keyActions(name)).toEqual([{ actions: 'kms:Decrypt', on: KEY_S3[0] }]);
    // readCaseFiles writes session copies (views/*).
    for (const name of ['writeExports', 'readCaseFiles'] as const) expect(keyActions(name)).toEqual([{ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], on: KEY_S3[0] }]);
  });

  describe('the collector itself', () => {
    test('sees an action added to the DefaultPolicy', () => {
      const copy = structuredClone(templates);
      const resources = copy[s.stacks.reading.stackName].Resources;
      const id = Object.keys(resources).find((k) => k.startsWith('ApiReaderFunctionRoleDefaultPolicy'))!;
      statementsIn(resources[id].Properties!.PolicyDocument).push({ Effect: 'Allow', Action: 'dynamodb:Scan', Resource: '*' });
      const granted = grantsOfFunction('ReaderFunction', copy).actions;
      expect(granted['dynamodb:Scan']).toEqual(['*']);
      expect(granted).not.toEqual(sorted(EXPECTED.ReaderFunction.actions));
    });

    test('sees a managed policy attached by ARN in the other stack, and an AWS-managed one', () => {
      const coordinatorRole = functionIds('CoordinatorFunction').role;
      const copy = structuredClone(templates);
      const arns = copy[s.stacks.reading.stackName].Resources[coordinatorRole].Properties!.ManagedPolicyArns as Json[];
      arns.push('arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess');
      statementsIn(props(copy[s.stacks.data.stackName], logicalId(s.stacks.data.scans.access.readExports)).PolicyDocument).push({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: '*' });
      const got = grantsOfFunction('CoordinatorFunction', copy);
      expect(got.actions['s3:DeleteObject']).toEqual(['*']);
      expect(got.managedPolicies).toContain('arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess');
    });
  });
});

// ---------------------------------------------------------------------------------------------

/** Set by AppFunction for every function: a Node.js runtime option, read by the runtime, not the handler. */
const RUNTIME_VARIABLES = { NODE_OPTIONS: '--enable-source-maps' };

describe('environment contract (lambda/<fn>/env.ts)', () => {
  /**
   * The function's variables as the handler would see them after deploy. A value that is a
   * CloudFormation reference (the table and bucket names come from the data stack) is replaced by
   * a CloudFormation-style physical name, `<stack>-<logicalId>`, of the resource it resolves to;
   * `resolvesTo` records that resource so the test can check each name points at the right one.
   */
  function deployedEnv(fn: string) {
    const vars = (props(reading(), functionIds(fn).fn).Environment as { Variables: Record<string, Json> }).Variables;
    const resolvesTo: Record<string, string> = {};
    const env = Object.fromEntries(
      Object.entries(vars).map(([k, v]) => {
        if (typeof v === 'string') return [k, v];
        const target = followOutput(v) as { Ref?: string };
        if (typeof target?.Ref !== 'string') throw new Error(`${fn} ${k}: not a plain reference: ${JSON.stringify(v)}`);
        const stack = Object.entries(templates).find(([, t]) => target.Ref! in t.Resources)![0];
        resolvesTo[k] = labels[target.Ref] ?? target.Ref;
        return [k, `${stack}-${target.Ref}`];
      }),
    );
    return { env, resolvesTo };
  }

  test.each(Object.keys(FUNCTIONS))('%s: its variables parse with its own schema (the reading config is bundled, as the build inlines it)', (fn) => {
    const schema = FUNCTIONS[fn].env;
    const { env } = deployedEnv(fn);
    // Not Lambda variables: esbuild inlines the reading config and the display name into the
    // bundle (ReadingFunction's bundledConstants), so the handler reads them from there.
    const inlined = { READROOM_READING_CONFIG: JSON.stringify(s.study.reading), READROOM_STUDY_DISPLAY_NAME: s.study.displayName };
    const bundled = Object.fromEntries(Object.entries(inlined).filter(([k]) => k in schema.shape));
    const parsed = schema.safeParse({ ...env, ...bundled });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });

  test.each(Object.keys(FUNCTIONS))('%s: gets no variable its schema does not declare (the schemas strip unknown keys, so key sets are compared)', (fn) => {
    const declared = Object.keys(FUNCTIONS[fn].env.shape);
    const { env } = deployedEnv(fn);
    const undeclared = Object.keys(env).filter((k) => !declared.includes(k));
    expect(Object.fromEntries(undeclared.map((k) => [k, env[k]]))).toEqual(RUNTIME_VARIABLES);
  });

  test("the reader and adjudication APIs' streaming settings come from the study file (fleet and stack, URL validity, the fleet's session limit)", () => {
    const study = buildStudy({ streamingUrlValiditySeconds: 45, fleet: { timeouts: { maxUserDurationSeconds: 7_200 } } });
    const template = json(synthStudy(study).reading);
    for (const fn of ['ReaderFunction', 'AdjudicationFunction']) {
      expect({ fn, env: props(template, functionIds(fn, template).fn).Environment }).toMatchObject({
        fn,
        env: { Variables: { STREAMING_URL_VALIDITY_SECONDS: '45', SESSION_MAX_SECONDS: '7200', FLEET_NAME: 'readroom-example-fleet', APPSTREAM_STACK_NAME: 'readroom-example' } },
      });
    }
  });

  test('names point at the right resources: TABLE_NAME the reading table, BUCKET_NAME the scans bucket, USER_POOL_ID the study pool', () => {
    for (const fn of Object.keys(FUNCTIONS)) {
      const { resolvesTo } = deployedEnv(fn);
      for (const [k, target] of Object.entries(resolvesTo)) expect(`${fn} ${k} → ${target}`).toBe(`${fn} ${k} → ${{ TABLE_NAME: 'table', BUCKET_NAME: 'scans', USER_POOL_ID: 'pool' }[k]}`);
    }
  });
});
