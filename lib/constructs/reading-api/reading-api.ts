import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AppStreamFleet } from '../appstream-fleet';
import { ScansAccessPolicies } from '../scans-store';
import { ManifestUploadedRule } from './case-registry';
import { ExportJobTrigger } from './export-worker';
import { FleetApi } from './fleet-api';
import { READING_FUNCTIONS, ReadingFunctionKey, ReadingFunctionSpec } from './functions';
import { ReadingHttpApi } from './http-api';
import { ReadingFunction, ReadingFunctionResources } from './reading-function';

export interface ReadingApiProps {
  readonly studyId: string;
  readonly vpc: ec2.IVpc;
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  /** The `execute-api` interface endpoint that is the only way into the private fleet API. */
  readonly apiEndpoint: ec2.IInterfaceVpcEndpoint;
  readonly encryptionKey: kms.IKey;
  readonly scansBucket: s3.IBucket;
  /** The only object access the functions get (policies owned by the data stack). */
  readonly scansAccess: ScansAccessPolicies;
  readonly table: dynamodb.ITableV2;
  readonly userPool: cognito.IUserPool;
  readonly portalClient: cognito.IUserPoolClient;
  readonly streaming: AppStreamFleet;
  /** The study's reading config (form, rules, assignment), inlined into the bundles as JSON. */
  readonly readingConfigJson: string;
  /** The study's display name (GET /study), inlined into the bundles beside the reading config. */
  readonly studyDisplayName: string;
  readonly streamingUrlValiditySeconds: number;
  /** The fleet's maximum session length: how long an issued session id stays usable. */
  readonly sessionMaxSeconds: number;
  /** Browser origins allowed by CORS (https://portal-domain). */
  readonly allowedOrigins: string[];
  /** AppStream custom streaming domain: the functions that issue streaming URLs rewrite them to it. @default - AppStream's own host */
  readonly streamingDomain?: string;
  readonly logRetention: logs.RetentionDays;
  /** What happens to the functions' and APIs' log groups with the stack: kept with a `retain` study (evidence outlives the stateless stack). */
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * Steady-state requests per second across the API (100 readers need a few).
   * @default 50
   */
  readonly throttleRatePerSecond?: number;
}

/**
 * The reading workflow API, composed from its concerns around the function table (functions.ts):
 * one {@link ReadingFunction} per row with least-privilege grants; the {@link ReadingHttpApi} that
 * routes each row's routes to it; the {@link ExportJobTrigger} that starts the export worker from
 * the table's stream; the {@link ManifestUploadedRule} that drives the case registry; and the
 * private {@link FleetApi} through which a streaming instance gets the files of its case.
 *
 * Every resource keeps the construct path it had when this was one construct, so the split
 * changed no logical id (test/infra/stateful.test.ts pins the APIs').
 */
export class ReadingApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly fleetApi: apigw.RestApi;
  readonly functions: Record<ReadingFunctionKey, ReadingFunction>;

  constructor(scope: Construct, id: string, props: ReadingApiProps) {
    super(scope, id);
    const resources: ReadingFunctionResources = {
      vpc: props.vpc,
      securityGroup: props.functionSecurityGroup,
      encryptionKey: props.encryptionKey,
      table: props.table,
      scansAccess: props.scansAccess,
      userPool: props.userPool,
      streaming: props.streaming,
      context: {
        studyId: props.studyId,
        tableName: props.table.tableName,
        bucketName: props.scansBucket.bucketName,
        userPoolId: props.userPool.userPoolId,
        fleetName: props.streaming.fleetName,
        appStreamStackName: props.streaming.stackName,
        streamingUrlValiditySeconds: props.streamingUrlValiditySeconds,
        sessionMaxSeconds: props.sessionMaxSeconds,
        streamingDomain: props.streamingDomain,
      },
      readingConfigJson: props.readingConfigJson,
      studyDisplayName: props.studyDisplayName,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    };
    const rows = Object.entries(READING_FUNCTIONS) as Array<[ReadingFunctionKey, ReadingFunctionSpec]>;
    this.functions = Object.fromEntries(rows.map(([key, spec]) => [key, new ReadingFunction(this, spec, resources)])) as Record<ReadingFunctionKey, ReadingFunction>;
    const fns = this.functions;

    new ExportJobTrigger(fns.exportWorker, props.table);

    this.httpApi = new ReadingHttpApi(this, 'HttpApi', {
      studyId: props.studyId,
      userPool: props.userPool,
      portalClient: props.portalClient,
      allowedOrigins: props.allowedOrigins,
      routes: rows.flatMap(([key, spec]) => (spec.routes ?? []).map((routeKey) => ({ routeKey, handler: fns[key] }))),
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      throttleRatePerSecond: props.throttleRatePerSecond,
    });
    this.fleetApi = new FleetApi(this, 'FleetApi', {
      studyId: props.studyId,
      apiEndpoint: props.apiEndpoint,
      fleetRole: props.streaming.role,
      caseFiles: fns.caseFiles,
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    for (const fn of Object.values(fns)) fn.acknowledgeGrants();

    new ManifestUploadedRule(this, 'ManifestUploaded', { scansBucket: props.scansBucket, registry: fns.registry });
  }
}
