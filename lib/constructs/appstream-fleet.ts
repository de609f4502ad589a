import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as appstream from 'aws-cdk-lib/aws-appstream';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export type AppStreamFleetType = 'ALWAYS_ON' | 'ON_DEMAND' | 'ELASTIC';

/** An AppStream image, by name (own account) or ARN (shared). Exactly one. */
export interface AppStreamImage {
  readonly name?: string;
  readonly arn?: string;
}

export interface S3ObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

/** The viewer packaged for an Elastic fleet: an app block and the application launched from it. */
export interface ElasticViewer {
  readonly platform: 'AMAZON_LINUX2' | 'RHEL8' | 'WINDOWS_SERVER_2019' | 'WINDOWS_SERVER_2022';
  readonly maxConcurrentSessions: number;
  readonly appBlockSource: S3ObjectLocation;
  readonly setupScript: S3ObjectLocation & { readonly executablePath: string; readonly timeout: Duration };
  readonly applicationName: string;
  readonly appBlockName: string;
  readonly launchPath: string;
  readonly icon: S3ObjectLocation;
}

export interface AppStreamFleetProps {
  /** AppStream fleet name (required by the API; a change replaces the fleet). */
  readonly fleetName: string;
  /** AppStream stack name. */
  readonly stackName: string;
  readonly vpc: ec2.IVpc;
  /**
   * Subnets for the streaming instances' interfaces.
   * @default - the VPC's private isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security group of the streaming instances. */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly fleetType: AppStreamFleetType;
  /** For example `stream.standard.medium`. */
  readonly instanceType: string;
  /** The image with the viewer; required for ALWAYS_ON and ON_DEMAND, not allowed for ELASTIC. */
  readonly image?: AppStreamImage;
  /** The viewer as an app block; required for ELASTIC only. */
  readonly elastic?: ElasticViewer;
  /**
   * Instances started with the fleet (scaling takes over afterwards).
   * @default 1
   */
  readonly desiredCapacity?: number;
  /** @default 'APP' - only the viewer window is streamed, not a desktop */
  readonly streamView?: 'APP' | 'DESKTOP';
  /** @default Duration.minutes(15); Duration.seconds(0) turns idle disconnect off */
  readonly idleDisconnectTimeout?: Duration;
  /** @default Duration.minutes(15) */
  readonly disconnectTimeout?: Duration;
  /** @default Duration.hours(4) */
  readonly maxUserDuration?: Duration;
  /** Domains of the portal pages that embed the session (at most 20). */
  readonly embedHostDomains: string[];
  /**
   * Let readers paste text into the session (never out of it). Every other data path stays closed.
   * @default false
   */
  readonly allowPasteIn?: boolean;
  /**
   * Where AppStream sends the reader when a session ends.
   * @default - AppStream's own page
   */
  readonly redirectUrl?: string;
}

/** The five user settings that move data between the session and the reader's device. */
export const DATA_TRANSFER_ACTIONS = [
  'CLIPBOARD_COPY_FROM_LOCAL_DEVICE',
  'CLIPBOARD_COPY_TO_LOCAL_DEVICE',
  'FILE_UPLOAD',
  'FILE_DOWNLOAD',
  'PRINTING_TO_LOCAL_DEVICE',
] as const;

/** AppStream API calls the reading functions make on a study's fleet and stack. */
export type AppStreamAction = 'CreateStreamingURL' | 'DescribeSessions';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/;

/**
 * An AppStream fleet, stack and their association as one unit, with the reading room's "no data
 * path out" profile: every transfer setting explicitly DISABLED (AppStream enables what is
 * omitted), no storage connectors, no application-settings persistence, no internet access, IMDSv1
 * off, private subnets only, its own role with no permissions, and the fleet started on deploy.
 */
export class AppStreamFleet extends Construct {
  readonly fleetName: string;
  readonly stackName: string;
  /** The role streaming instances assume; it starts with no permissions. */
  readonly role: iam.Role;
  readonly fleet: appstream.CfnFleet;
  readonly stack: appstream.CfnStack;
  readonly association: appstream.CfnStackFleetAssociation;

  constructor(scope: Construct, id: string, props: AppStreamFleetProps) {
    super(scope, id);
    validate(props);
    this.fleetName = props.fleetName;
    this.stackName = props.stackName;
    const elastic = props.fleetType === 'ELASTIC';
    const subnets = props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED });

    // Only AppStream acting for this fleet of this account may hand out the role (the confused-deputy
    // conditions of the AppStream admin guide, "fleet machine role cross-service confused deputy prevention").
    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('appstream.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnEquals: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'appstream', resource: 'fleet', resourceName: props.fleetName }) },
        },
      }),
      description: `Streaming instances of ${props.fleetName}; grants are added per capability`,
    });

    this.fleet = new appstream.CfnFleet(this, 'Fleet', {
      name: props.fleetName,
      fleetType: props.fleetType,
      instanceType: props.instanceType,
      imageName: props.image?.name,
      imageArn: props.image?.arn,
      ...(elastic
        ? { platform: props.elastic!.platform, maxConcurrentSessions: props.elastic!.maxConcurrentSessions }
        : { computeCapacity: { desiredInstances: props.desiredCapacity ?? 1 } }),
      vpcConfig: { subnetIds: subnets.subnetIds, securityGroupIds: [props.securityGroup.securityGroupId] },
      enableDefaultInternetAccess: false,
      disableImdsv1: true,
      iamRoleArn: this.role.roleArn,
      streamView: props.streamView ?? 'APP',
      idleDisconnectTimeoutInSeconds: (props.idleDisconnectTimeout ?? Duration.minutes(15)).toSeconds(),
      disconnectTimeoutInSeconds: (props.disconnectTimeout ?? Duration.minutes(15)).toSeconds(),
      maxUserDurationInSeconds: (props.maxUserDuration ?? Duration.hours(4)).toSeconds(),
    });
    if (!elastic) {
      // Ask CloudFormation to start the fleet, so readers can stream right after `cdk deploy`.
      this.fleet.cfnOptions.creationPolicy = { startFleet: true };
    }

    this.stack = new appstream.CfnStack(this, 'Stack', {
      name: props.stackName,
      description: 'ReadRoom reading room',
      userSettings: DATA_TRANSFER_ACTIONS.map((action) => ({
        action,
        permission: action === 'CLIPBOARD_COPY_FROM_LOCAL_DEVICE' && props.allowPasteIn ? 'ENABLED' : 'DISABLED',
        ...(action === 'CLIPBOARD_COPY_FROM_LOCAL_DEVICE' && props.allowPasteIn ? { maximumLength: 1000 } : {}),
      })),
      storageConnectors: [],
      applicationSettings: { enabled: false },
      embedHostDomains: props.embedHostDomains,
      redirectUrl: props.redirectUrl,
    });

    this.association = new appstream.CfnStackFleetAssociation(this, 'Association', {
      fleetName: props.fleetName,
      stackName: props.stackName,
    });
    // Names are plain strings, so CloudFormation cannot infer the order; deletes must undo it first.
    this.association.addResourceDependency(this.fleet);
    this.association.addResourceDependency(this.stack);

    if (elastic) this.addElasticViewer(props.elastic!);
  }

  /** ARN of the fleet, for IAM statements. */
  get fleetArn(): string {
    return Stack.of(this).formatArn({ service: 'appstream', resource: 'fleet', resourceName: this.fleetName });
  }

  /** ARN of the stack, for IAM statements. */
  get stackArn(): string {
    return Stack.of(this).formatArn({ service: 'appstream', resource: 'stack', resourceName: this.stackName });
  }

  /**
   * Lets a principal call the named AppStream actions on this fleet and stack only. Callers name
   * exactly the calls their code makes (the reader API issues URLs, case-files describes sessions).
   */
  grant(grantee: iam.IGrantable, ...actions: AppStreamAction[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: actions.map((a) => `appstream:${a}`),
      resourceArns: [this.fleetArn, this.stackArn],
    });
  }

  private addElasticViewer(viewer: ElasticViewer): void {
    const block = new appstream.CfnAppBlock(this, 'AppBlock', {
      name: viewer.appBlockName,
      sourceS3Location: { s3Bucket: viewer.appBlockSource.bucket, s3Key: viewer.appBlockSource.key },
      setupScriptDetails: {
        scriptS3Location: { s3Bucket: viewer.setupScript.bucket, s3Key: viewer.setupScript.key },
        executablePath: viewer.setupScript.executablePath,
        timeoutInSeconds: viewer.setupScript.timeout.toSeconds(),
      },
    });
    const application = new appstream.CfnApplication(this, 'Application', {
      name: viewer.applicationName,
      appBlockArn: block.attrArn,
      launchPath: viewer.launchPath,
      iconS3Location: { s3Bucket: viewer.icon.bucket, s3Key: viewer.icon.key },
      platforms: [viewer.platform],
      instanceFamilies: ['GENERAL_PURPOSE'],
    });
    const association = new appstream.CfnApplicationFleetAssociation(this, 'ApplicationAssociation', {
      applicationArn: application.attrArn,
      fleetName: this.fleetName,
    });
    association.addResourceDependency(this.fleet);
  }
}

function validate(props: AppStreamFleetProps): void {
  const fail = (field: string, rule: string) => {
    throw new Error(`AppStreamFleet: ${field} ${rule}`);
  };
  for (const [field, value] of [['fleetName', props.fleetName], ['stackName', props.stackName]] as const) {
    if (!Token.isUnresolved(value) && !NAME.test(value)) fail(field, `'${value}' must match ${NAME}`);
  }
  const elastic = props.fleetType === 'ELASTIC';
  if (elastic && props.image) fail('image', 'is not allowed for an ELASTIC fleet (it runs app blocks)');
  if (elastic && !props.elastic) fail('elastic', 'is required for an ELASTIC fleet');
  if (!elastic && props.elastic) fail('elastic', `is only allowed for an ELASTIC fleet, not ${props.fleetType}`);
  if (!elastic && (!props.image || Boolean(props.image.name) === Boolean(props.image.arn))) {
    fail('image', `needs exactly one of name or arn for a ${props.fleetType} fleet`);
  }
  if (!/^stream\.[a-z0-9-]+\.[a-z0-9]+$/.test(props.instanceType)) fail('instanceType', `'${props.instanceType}' is not an AppStream instance type`);
  const seconds = (d: Duration | undefined, fallback: number) => (d ? d.toSeconds() : fallback);
  const idle = seconds(props.idleDisconnectTimeout, 900);
  if (idle !== 0 && (idle < 60 || idle > 36_000)) fail('idleDisconnectTimeout', 'must be 0 (off) or 60–36000 seconds');
  const disconnect = seconds(props.disconnectTimeout, 900);
  if (disconnect < 60 || disconnect > 36_000) fail('disconnectTimeout', 'must be 60–36000 seconds');
  const max = seconds(props.maxUserDuration, 14_400);
  if (max < 600 || max > 360_000) fail('maxUserDuration', 'must be 600–360000 seconds');
  if (props.embedHostDomains.length > 20) fail('embedHostDomains', 'allows at most 20 domains');
  if (props.desiredCapacity !== undefined && (!Number.isInteger(props.desiredCapacity) || props.desiredCapacity < 0)) {
    fail('desiredCapacity', 'must be a whole number ≥ 0');
  }
  if (elastic && props.vpc.isolatedSubnets.length < 2 && !props.vpcSubnets) fail('vpc', 'needs two isolated subnets in different zones for an ELASTIC fleet');
}
