import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AppFunction } from '../app-function';
import { AppStreamFleet } from '../appstream-fleet';
import { viaServices } from '../encryption';
import { ScansAccessPolicies } from '../scans-store';
import { FunctionAccess, FunctionContext, ItemAction, ReadingFunctionSpec } from './functions';

/** What every reading function runs in and may be granted: the same for all of a study's functions. */
export interface ReadingFunctionResources {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** The study key: table items, environments, dead-letter queues and logs are encrypted with it. */
  readonly encryptionKey: kms.IKey;
  readonly table: dynamodb.ITableV2;
  /** The only object access a function gets (policies owned by the data stack). */
  readonly scansAccess: ScansAccessPolicies;
  readonly userPool: cognito.IUserPool;
  readonly streaming: AppStreamFleet;
  /** The names and settings the environments are built from. */
  readonly context: FunctionContext;
  /** The study's reading config (form, rules, assignment), inlined into the bundles as JSON. */
  readonly readingConfigJson: string;
  /** The study's display name (GET /study), inlined beside the reading config. */
  readonly studyDisplayName: string;
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log groups with the stack: kept with a `retain` study (evidence outlives the stateless stack). */
  readonly logRemovalPolicy: RemovalPolicy;
}

const WRITES: ReadonlySet<ItemAction> = new Set(['PutItem', 'UpdateItem']);

/**
 * One row of the function table made real: an AppFunction from `lambda/<folder>` with the row's
 * environment, limits and least-privilege access. Call {@link acknowledgeGrants} once every grant
 * (its own and any a trigger adds) is made.
 */
export class ReadingFunction extends AppFunction {
  constructor(scope: Construct, spec: ReadingFunctionSpec, res: ReadingFunctionResources) {
    super(scope, spec.id, {
      name: spec.folder,
      environment: spec.environment(res.context),
      bundledConstants: { READROOM_READING_CONFIG: res.readingConfigJson, READROOM_STUDY_DISPLAY_NAME: res.studyDisplayName },
      vpc: res.vpc,
      securityGroup: res.securityGroup,
      encryptionKey: res.encryptionKey,
      logRetention: res.logRetention,
      logRemovalPolicy: res.logRemovalPolicy,
      timeout: spec.timeout,
      memorySize: spec.memorySize,
      reservedConcurrentExecutions: spec.reservedConcurrentExecutions,
    });
    this.grantAccess(spec.access, res);
  }

  override acknowledgeGrants(): void {
    super.acknowledgeGrants();
    // Node.js 22 is the runtime the handlers are tested on; moving to a newer one is a deliberate, tested change.
    Validations.of(this.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to Node.js 22 (supported LTS), the runtime the handlers and benchmarks are tested on; upgrades are made deliberately with the tests, not implicitly.',
    });
  }

  /**
   * Item actions on the table ARN only (they mean nothing on an index), writes under the row's key
   * prefixes when it names them, Query on the table and the named indexes (listed, not `index/*`),
   * the study key's data-key actions, the object policy, the AppStream and directory calls.
   */
  private grantAccess(access: FunctionAccess, res: ReadingFunctionResources): void {
    const arn = res.table.tableArn;
    const scoped = access.writesUnder ? access.items.filter((a) => WRITES.has(a)) : [];
    const free = access.items.filter((a) => !scoped.includes(a));
    if (free.length) iam.Grant.addToPrincipal({ grantee: this, actions: free.map((a) => `dynamodb:${a}`), resourceArns: [arn] });
    if (scoped.length) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: scoped.map((a) => `dynamodb:${a}`),
          resources: [arn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': access.writesUnder!.map((k) => (k.endsWith('#') ? `${k}*` : k)) } },
        }),
      );
    }
    iam.Grant.addToPrincipal({ grantee: this, actions: ['dynamodb:Query'], resourceArns: access.queries.map((q) => (q === 'table' ? arn : `${arn}/index/${q}`)) });
    // The key only through the services that hold the function's data: DynamoDB (items, the stream),
    // SQS (its dead-letter queue) and Lambda (its environment).
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [res.encryptionKey.keyArn],
        conditions: viaServices(Stack.of(this), 'dynamodb', 'sqs', 'lambda'),
      }),
    );
    if (access.objects) this.role!.addManagedPolicy(res.scansAccess[access.objects]);
    if (access.appStream) res.streaming.grant(this, ...access.appStream);
    if (access.directory) iam.Grant.addToPrincipal({ grantee: this, actions: access.directory.map((a) => `cognito-idp:${a}`), resourceArns: [res.userPool.userPoolArn] });
  }
}
