import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAMBDA_ROOT, copyBundle } from '../build/bundles';

export interface AppFunctionProps {
  /** Folder under `lambda/` holding `handler.ts`. */
  readonly name: string;
  /** Environment variables (the function's `env.ts` is the contract). */
  readonly environment: Record<string, string>;
  /**
   * Large constants inlined at bundle time as `process.env.<KEY>` (Lambda environment is capped at 4 KB).
   * @default - none
   */
  readonly bundledConstants?: Record<string, string>;
  /** The VPC the function runs in (no internet; reaches AWS through endpoints). */
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts the log group, the environment and the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * Upper bound on parallel executions, so a runaway client cannot exhaust the account's pool.
   * @default 50
   */
  readonly reservedConcurrentExecutions?: number;
  /** @default RemovalPolicy.DESTROY - logs of a stateless function go with it */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * ReadRoom's project-default function: Node.js 22 on arm64, bundled locally by esbuild (never
 * Docker), minified with source maps, X-Ray tracing, inside the study VPC, an explicit KMS-encrypted
 * log group with retention, a KMS-encrypted dead-letter queue for asynchronous invocations, and a
 * concurrency cap. The AWS SDK v3 clients are bundled (not taken from the runtime) so each function
 * runs the exact versions the tests ran, and esbuild keeps only the clients it imports.
 */
export class AppFunction extends lambda.Function {
  readonly deadLetterQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const deadLetterQueue = new sqs.Queue(scope, `${id}DeadLetters`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // Our own role with a customer-managed base policy instead of the AWS-managed
    // AWSLambdaVPCAccessExecutionRole: logs go only to this function's log group.
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const basePolicy = new iam.ManagedPolicy(scope, `${id}BasePolicy`, {
      description: `Runtime basics of ${id}: its own logs and its VPC interfaces`,
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
        // Lambda manages the function's interfaces in the VPC; these EC2 actions have no resource-level scope.
        new iam.PolicyStatement({
          actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(basePolicy.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Lambda needs the EC2 network-interface actions to place the function in the study VPC; they support no resource-level permissions and touch no study data.',
    });
    const define = Object.fromEntries(Object.entries(props.bundledConstants ?? {}).map(([k, v]) => [`process.env.${k}`, JSON.stringify(v)]));
    if (!existsSync(path.join(LAMBDA_ROOT, props.name, 'handler.ts'))) throw new Error(`AppFunction: name '${props.name}' has no lambda/${props.name}/handler.ts`);
    super(scope, id, {
      role,
      // Local bundling only: the Docker image is a required placeholder that is never pulled,
      // because tryBundle always bundles (or throws). The hash is of the bundle, which also
      // covers the shared code outside the function's folder (runtime, store, domain/).
      code: lambda.Code.fromAsset(path.join(LAMBDA_ROOT, props.name), {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: DockerImage.fromRegistry('readroom/local-bundling-only'),
          local: { tryBundle: (outputDir) => (copyBundle(props.name, define, outputDir), true) },
        },
      }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? 512,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 50,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      environmentEncryption: props.encryptionKey,
      deadLetterQueue,
      logGroup,
    });
    this.deadLetterQueue = deadLetterQueue;
    this.node.addDependency(basePolicy);
  }

  /**
   * Call once every grant is made: acknowledges, on this function's own default policy, the
   * findings that least-privilege grants still raise (it is inline, and scoped grants use patterns).
   */
  acknowledgeGrants(): void {
    const defaultPolicy = this.role?.node.tryFindChild('DefaultPolicy');
    if (!defaultPolicy) return;
    const ack = (id: string, reason: string) => Validations.of(defaultPolicy.node.defaultChild!).acknowledge({ id, reason });
    for (const id of ['NIST.800.53.R5-IAMNoInlinePolicy', 'HIPAA.Security-IAMNoInlinePolicy']) {
      ack(id, "The policy belongs to this function's own role alone and is created and deleted with it; it holds only the grants the function's code uses (named table, object prefixes, key, fleet).");
    }
    ack('AwsSolutions-IAM5[Resource::*]', 'Only the X-Ray trace actions that active tracing adds (xray:PutTraceSegments, xray:PutTelemetryRecords) use *: they support no resource-level permissions and carry no study data.');
  }
}
