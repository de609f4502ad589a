import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { accessLogFormat } from './access-log';

export interface FleetApiProps {
  readonly studyId: string;
  /** The `execute-api` interface endpoint that is the only way in. */
  readonly apiEndpoint: ec2.IInterfaceVpcEndpoint;
  /** The streaming instances' role: the only caller. */
  readonly fleetRole: iam.IRole;
  /** Serves `GET /fleet/case-files`. */
  readonly caseFiles: lambda.IFunction;
  /** Encrypts the access-log group. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The private REST API a streaming instance calls for the files of the case its reader was issued:
 * reachable only through the study VPC's `execute-api` endpoint, with the fleet role's SigV4
 * signature (IAM authorization), one route (`GET /fleet/case-files?sessionId=`), request
 * validation, tracing, throttling and JSON access logs.
 *
 * Its access-log group and the fleet role's invoke policy are created beside it in the parent scope
 * (`<id>AccessLogs`, `FleetInvokePolicy`), the ids they had before the reading API was split, so no
 * logical id changed.
 */
export class FleetApi extends apigw.RestApi {
  constructor(scope: Construct, id: string, props: FleetApiProps) {
    const accessLogs = new logs.LogGroup(scope, `${id}AccessLogs`, { encryptionKey: props.encryptionKey, retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    super(scope, id, {
      restApiName: `readroom-${props.studyId}-fleet-api`,
      description: `ReadRoom ${props.studyId}: case files for streaming instances (private)`,
      endpointConfiguration: { types: [apigw.EndpointType.PRIVATE], vpcEndpoints: [props.apiEndpoint] },
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'fleet',
        tracingEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat('rest'),
        throttlingRateLimit: 20,
        throttlingBurstLimit: 40,
      },
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            principals: [props.fleetRole],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*/GET/fleet/case-files'],
          }),
          // Nothing reaches it except through the study VPC's endpoint.
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
            conditions: { StringNotEquals: { 'aws:SourceVpce': props.apiEndpoint.vpcEndpointId } },
          }),
        ],
      }),
    });
    const validator = this.addRequestValidator('RequestValidator', { validateRequestParameters: true, validateRequestBody: true });
    const method = this.root
      .addResource('fleet')
      .addResource('case-files')
      .addMethod('GET', new apigw.LambdaIntegration(props.caseFiles), {
        authorizationType: apigw.AuthorizationType.IAM,
        requestParameters: { 'method.request.querystring.sessionId': true },
        requestValidator: validator,
      });
    new iam.ManagedPolicy(scope, 'FleetInvokePolicy', {
      description: 'Streaming instances may call the case-files route, nothing else',
      roles: [props.fleetRole],
      statements: [new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [method.methodArn] })],
    });

    const stage = this.deploymentStage.node.defaultChild!;
    const ack = (ids: string[], reason: string, on: IConstruct = stage) => ids.forEach((rule) => Validations.of(on).acknowledge({ id: rule, reason }));
    ack(['AwsSolutions-APIG3', 'NIST.800.53.R5-APIGWAssociatedWithWAF'], "Private API: reachable only through the study VPC interface endpoint (resource policy denies every other source) by the fleet role's SigV4 signature; no internet client can reach it for a WAF to filter.");
    ack(
      ['AwsSolutions-APIG6', 'NIST.800.53.R5-APIGWExecutionLoggingEnabled', 'HIPAA.Security-APIGWExecutionLoggingEnabled'],
      'JSON access logs (caller, endpoint, status) go to a KMS-encrypted log group and the function logs every decision; execution logging would need the account-wide API Gateway CloudWatch role, which one study must not change for the whole account.',
    );
    ack(['NIST.800.53.R5-APIGWCacheEnabledAndEncrypted', 'HIPAA.Security-APIGWCacheEnabledAndEncrypted'], "Responses are per-session presigned URLs; caching them could hand one reader's case files to another session, so the API must never cache.");
    ack(['NIST.800.53.R5-APIGWSSLEnabled', 'HIPAA.Security-APIGWSSLEnabled'], "Client certificates authenticate API Gateway to HTTP backends; this API integrates only with a Lambda function, over AWS's own signed invoke.");
    ack(['AwsSolutions-COG4'], "The caller is a streaming instance, not a person: it signs with the fleet role (IAM authorization), and the function binds the call to the reader's active AppStream session.", method.node.defaultChild!);
  }
}
