import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface StudyKeyProps {
  /** What the key protects, for the console. */
  readonly description: string;
  /** CloudFormation stacks whose log groups may be encrypted with the key (see {@link allowLogsToUseKey}). */
  readonly logGroupStacks: readonly string[];
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The study's customer-managed key: rotation on, and usable by CloudWatch Logs only for the log
 * groups of the named stacks. Other services get their use by grants scoped with `kms:ViaService`
 * ({@link viaServices}) or, for CloudTrail, by the trail that needs it (AuditTrail).
 */
export class StudyKey extends kms.Key {
  constructor(scope: Construct, id: string, props: StudyKeyProps) {
    super(scope, id, { description: props.description, enableKeyRotation: true, removalPolicy: props.removalPolicy });
    allowLogsToUseKey(this, props.logGroupStacks);
  }
}

/**
 * CloudWatch Logs encrypts a log group with a customer key only if the key policy lets the regional
 * Logs service use it; CDK's LogGroup does not add this. The grant covers only the log groups of
 * the named CloudFormation stacks: CloudFormation names a log group it creates without a name
 * `<stack name>-<logical id>-<random>` (the AWS::Logs::LogGroup handler's generateName, in
 * aws-cloudformation/aws-cloudformation-resource-providers-logs), and ReadRoom names none of its
 * log groups, so `<stack name>-*` is exactly this study's groups in that stack. Stack names end in
 * `-Network`/`-Data`/`-Reading` after a lowercase study id, so one study's pattern never covers
 * another study's groups.
 */
export function allowLogsToUseKey(key: kms.Key, stackNames: readonly string[]): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stackNames.map((name) =>
            stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${name}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          ),
        },
      },
    }),
  );
}

/** `kms:ViaService` values: the key may be used only through these services of the stack's region. */
export function viaServices(scope: Stack, ...services: string[]): Record<string, Record<string, string[]>> {
  return { StringEquals: { 'kms:ViaService': services.map((s) => `${s}.${scope.region}.amazonaws.com`) } };
}
