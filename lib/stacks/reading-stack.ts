import { CfnOutput, Duration, Lazy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { studyNames } from '../config/names';
import { removalPolicyOf } from './removal';
import { StudyStack, StudyStackProps } from './study-stack';
import * as path from 'node:path';
import { AppStreamFleet, AppStreamFleetProps, FleetScaling, PortalHosting, ReadingApi, ScansAccessPolicies, UsageReports, ViewerImageBuilder, retentionDays } from '../constructs';

export interface ReadingStackProps extends StudyStackProps {
  readonly vpc: ec2.IVpc;
  readonly fleetSecurityGroup: ec2.ISecurityGroup;
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  /** The image builder's own subnet and security group (present when the study has an image builder). */
  readonly builderNetwork?: { readonly subnet: ec2.ISubnet; readonly securityGroup: ec2.ISecurityGroup };
  readonly apiEndpoint: ec2.IInterfaceVpcEndpoint;
  readonly key: kms.IKey;
  readonly scansBucket: s3.IBucket;
  /** The study's access-log bucket: the portal site bucket's server access logs go there. */
  readonly accessLogBucket: s3.IBucket;
  readonly scansAccess: ScansAccessPolicies;
  readonly userPool: cognito.IUserPool;
  readonly portalClient: cognito.IUserPoolClient;
  readonly table: dynamodb.ITableV2;
}

/** The repository root: `portal.embedScript` is relative to it. */
const REPO_ROOT = path.join(__dirname, '..', '..');

/**
 * The stateless part of a reading room: the AppStream fleet and stack with their scaling, usage
 * reports, the optional image builder, the reading workflow API and the portal that calls it.
 * Destroying this stack stops all streaming and loses no data.
 */
export class ReadingStack extends StudyStack {
  readonly streaming: AppStreamFleet;
  readonly api: ReadingApi;
  readonly portal: PortalHosting;

  constructor(scope: Construct, id: string, props: ReadingStackProps) {
    super(scope, id, props);
    const { study } = props;
    const names = studyNames(study.studyId);
    const fleet = study.fleet;
    const t = fleet.timeouts;

    // The portal first: the fleet's EmbedHostDomains and the API's CORS follow its domain. Its
    // config.json takes the API's URL through a lazy value (the API is created below).
    const domain = study.portal.domain;
    let apiUrl: string | undefined;
    this.portal = new PortalHosting(this, 'Portal', {
      config: {
        apiUrl: Lazy.string({ produce: () => apiUrl }),
        region: this.region,
        userPoolId: props.userPool.userPoolId,
        clientId: props.portalClient.userPoolClientId,
      },
      domain: domain && { name: domain.name, certificateArn: domain.certificateArn, streamingName: domain.streamingName },
      embedScriptFile: study.portal.embedScript && path.join(REPO_ROOT, study.portal.embedScript),
      accessLogBucket: props.accessLogBucket,
      logRemovalPolicy: removalPolicyOf(study),
      encryptionKey: props.key,
      logRetention: retentionDays(study.retention.logRetentionDays),
    });
    const portalOrigin = `https://${this.portal.domainName}`;

    const common: AppStreamFleetProps = {
      fleetName: names.fleet,
      stackName: names.appStreamStack,
      vpc: props.vpc,
      securityGroup: props.fleetSecurityGroup,
      fleetType: fleet.type,
      instanceType: fleet.instanceType,
      streamView: fleet.streamView,
      idleDisconnectTimeout: Duration.seconds(t.idleDisconnectSeconds),
      disconnectTimeout: Duration.seconds(t.disconnectSeconds),
      maxUserDuration: Duration.seconds(t.maxUserDurationSeconds),
      embedHostDomains: [this.portal.domainName],
      allowPasteIn: fleet.allowPasteIn,
      redirectUrl: `${portalOrigin}/`,
    };
    this.streaming = new AppStreamFleet(
      this,
      'Streaming',
      fleet.type === 'ELASTIC'
        ? {
            ...common,
            elastic: {
              platform: fleet.platform,
              maxConcurrentSessions: fleet.maxConcurrentSessions,
              appBlockSource: fleet.appBlock.source,
              setupScript: { ...fleet.appBlock.setupScript, timeout: Duration.seconds(fleet.appBlock.setupScript.timeoutSeconds) },
              appBlockName: names.appBlock,
              applicationName: names.application,
              launchPath: fleet.application.launchPath,
              icon: fleet.application.icon,
            },
          }
        : { ...common, image: fleet.image, desiredCapacity: Math.max(fleet.minCapacity, 1) },
    );

    if (fleet.type !== 'ELASTIC') {
      // Elastic fleets scale themselves up to MaxConcurrentSessions.
      new FleetScaling(this, 'Scaling', {
        fleetName: names.fleet,
        fleet: this.streaming.fleet,
        minCapacity: fleet.minCapacity,
        maxCapacity: fleet.maxCapacity,
        targetUtilizationPercent: fleet.targetUtilizationPercent,
        windows: fleet.schedule,
        timeZone: fleet.scheduleTimeZone,
      });
    }

    new UsageReports(this, 'UsageReports', { encryptionKey: props.key, logRetention: retentionDays(study.retention.logRetentionDays) });

    if (study.imageBuilder) {
      if (!props.builderNetwork) throw new Error('ReadingStack: the study has an image builder but the network has no builder subnet');
      new ViewerImageBuilder(this, 'ImageBuilder', {
        name: names.imageBuilder,
        instanceType: study.imageBuilder.instanceType,
        image: study.imageBuilder.image,
        subnet: props.builderNetwork.subnet,
        securityGroup: props.builderNetwork.securityGroup,
      });
    }

    this.api = new ReadingApi(this, 'Api', {
      studyId: study.studyId,
      vpc: props.vpc,
      functionSecurityGroup: props.functionSecurityGroup,
      apiEndpoint: props.apiEndpoint,
      encryptionKey: props.key,
      scansBucket: props.scansBucket,
      scansAccess: props.scansAccess,
      table: props.table,
      userPool: props.userPool,
      portalClient: props.portalClient,
      streaming: this.streaming,
      readingConfigJson: JSON.stringify(study.reading),
      studyDisplayName: study.displayName,
      streamingUrlValiditySeconds: study.streamingUrlValiditySeconds,
      sessionMaxSeconds: t.maxUserDurationSeconds,
      allowedOrigins: [portalOrigin],
      streamingDomain: domain?.streamingName,
      logRetention: retentionDays(study.retention.logRetentionDays),
      logRemovalPolicy: removalPolicyOf(study),
    });

    apiUrl = this.api.httpApi.apiEndpoint;

    new CfnOutput(this, 'ApiUrl', { value: this.api.httpApi.apiEndpoint });
    new CfnOutput(this, 'PortalUrl', { value: `${portalOrigin}/`, description: 'The reader portal' });
    new CfnOutput(this, 'PortalDistributionDomain', {
      value: this.portal.distribution.distributionDomainName,
      description: domain ? `DNS: ${domain.name} CNAME (or Route 53 alias) to this` : "The portal's host name",
    });
    if (this.portal.streamingProxy && domain?.streamingName) {
      new CfnOutput(this, 'StreamingProxyDomain', { value: this.portal.streamingProxy.distributionDomainName, description: `DNS: ${domain.streamingName} CNAME (or Route 53 alias) to this` });
    }
    new CfnOutput(this, 'FleetName', { value: names.fleet });
    new CfnOutput(this, 'AppStreamStackName', { value: names.appStreamStack });
  }
}
