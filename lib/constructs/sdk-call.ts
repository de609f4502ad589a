import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface SdkCallProps {
  /** The call made when the resource is created. */
  readonly onCreate?: cr.AwsSdkCall;
  /** The call made when the resource is updated (and, if `onCreate` is absent, created). */
  readonly onUpdate?: cr.AwsSdkCall;
  /** The call made when the resource is deleted. @default - nothing */
  readonly onDelete?: cr.AwsSdkCall;
  /** What the calls may do: the statements of this call's own customer-managed policy. */
  readonly statements: iam.PolicyStatement[];
  /**
   * Encrypts the provider function's log group. The first SdkCall in a stack creates the provider
   * and its log group; later ones in the same stack share them.
   */
  readonly encryptionKey: kms.IKey;
  /** Retention of the provider function's log group (first SdkCall in the stack decides). */
  readonly logRetention: logs.RetentionDays;
}

/** Construct id of the stack-level singleton function that AwsCustomResource creates. */
export const AWS_CUSTOM_RESOURCE_FUNCTION_ID = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/[^a-zA-Z0-9]/g, '')}`;

/**
 * An AWS API call made by CloudFormation at deploy time (an `AwsCustomResource`) with ReadRoom's
 * defaults instead of CDK's: the provider function runs under a role with no AWS-managed policy
 * and no inline policy, each call's permissions are a customer-managed policy the call depends on,
 * and the function logs to a KMS-encrypted log group with retention.
 */
export class SdkCall extends Construct {
  readonly resource: cr.AwsCustomResource;
  /** This call's permissions; acknowledge IAM findings on it with the reason the call needs them. */
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: SdkCallProps) {
    super(scope, id);
    const provider = SdkCallProvider.of(this, props);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Deploy-time call ${this.node.path}`,
      statements: props.statements,
      roles: [provider.role],
    });
    this.resource = new cr.AwsCustomResource(this, 'Resource', {
      onCreate: props.onCreate,
      onUpdate: props.onUpdate,
      onDelete: props.onDelete,
      role: provider.role,
      logGroup: provider.logGroup,
      installLatestAwsSdk: false,
    });
    // The call must not run before its permissions exist (AwsCustomResource does this for its own policy).
    this.resource.node.addDependency(this.policy);
    provider.acknowledgeFunction();
  }

  /** A field of the API response (see `AwsCustomResource.getResponseField`). */
  getResponseField(dataPath: string): string {
    return this.resource.getResponseField(dataPath);
  }
}

/** The role and log group shared by every SdkCall in one stack (the function is a singleton too). */
class SdkCallProvider extends Construct {
  static of(scope: Construct, props: SdkCallProps): SdkCallProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild('SdkCallProvider');
    return existing instanceof SdkCallProvider ? existing : new SdkCallProvider(stack, 'SdkCallProvider', props);
  }

  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  private acknowledged = false;

  private constructor(scope: Construct, id: string, props: SdkCallProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      // Logs of a deploy-time function go with the stack that ran it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the deploy-time AWS API calls of this stack',
    });
    new iam.ManagedPolicy(this, 'LogsPolicy', {
      description: 'Lets the deploy-time call function write its own log group',
      statements: [new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] })],
      roles: [this.role],
    });
  }

  /** Acknowledges, on the singleton function itself, the Lambda rules that do not fit a deploy-time call. */
  acknowledgeFunction(): void {
    if (this.acknowledged) return;
    const fn = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_FUNCTION_ID);
    if (!(fn instanceof lambda.Function)) throw new Error(`SdkCall: AwsCustomResource function ${AWS_CUSTOM_RESOURCE_FUNCTION_ID} not found`);
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    const ack = (rules: string[], reason: string) => rules.forEach((id) => Validations.of(cfn).acknowledge({ id, reason }));
    ack(
      ['HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC'],
      'CloudFormation invokes this function only during a deployment to call one AWS control-plane API; it handles no study data. ' +
        'Inside the isolated study VPC it could not answer CloudFormation (a pre-signed URL on an AWS-owned S3 bucket that the study endpoint policy rightly blocks) and would need extra interface endpoints.',
    );
    ack(
      ['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ'],
      'A failed call is reported to CloudFormation, which fails and rolls back the deployment; the failure is visible there and in the encrypted log group. A queue would only hold copies of CloudFormation events that nobody consumes.',
    );
    ack(
      ['HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'],
      'Only CloudFormation invokes it, a few times per deployment. Reserving concurrency would take capacity from the account pool and fails deployments in accounts whose concurrency quota is still at the new-account minimum.',
    );
    this.acknowledged = true;
  }
}
