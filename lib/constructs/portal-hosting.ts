import { Annotations, AssetHashType, DefaultStackSynthesizer, DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { copyFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { appStreamOrigin, cognitoOrigin, cspFromOrigins } from '../../portal/csp';
import { PORTAL_ROOT, builtPortalDir } from '../build/portal-site';
import { PORTAL_LOG_PREFIXES } from './scans-store';
import { SecureBucket } from './secure-bucket';

/** Where CloudFront's standard logs of each distribution go in {@link PortalHosting.cloudFrontLogBucket}. */
export const CLOUDFRONT_LOG_PREFIXES = { portal: 'portal/', streamingProxy: 'streaming-proxy/' } as const;

/** Where the operator's copy of AWS's embed script is served (config.json `embedScriptPath`). */
export const EMBED_SCRIPT_PATH = '/vendor/appstream-embed.js';

/** The values config.json carries (portal/src/config.ts); deploy-time tokens are fine. */
export interface PortalRuntimeConfig {
  /** The reading API's endpoint (an origin: `https://<id>.execute-api.<region>.amazonaws.com`). */
  readonly apiUrl: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
}

export interface PortalDomain {
  /** The portal's host name. */
  readonly name: string;
  /** ACM certificate in us-east-1 covering `name` (and `streamingName`). */
  readonly certificateArn: string;
  /** AppStream custom streaming domain, a subdomain of `name`: gets its own proxy distribution. */
  readonly streamingName?: string;
}

export interface PortalHostingProps {
  readonly config: PortalRuntimeConfig;
  /** @default - CloudFront's `<id>.cloudfront.net` name */
  readonly domain?: PortalDomain;
  /** Local file of AWS's `appstream-embed.js`, deployed at {@link EMBED_SCRIPT_PATH}. @default - none (sessions open in a new tab) */
  readonly embedScriptFile?: string;
  /** The study's access-log bucket (data stack): the site bucket's S3 server access logs. */
  readonly accessLogBucket: s3.IBucket;
  /** Retain or destroy CloudFront's log bucket with the stack (the study's retention). */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Encrypts the deployment function's log group. */
  readonly encryptionKey: kms.IKey;
  /** Days the deployment function's logs and CloudFront's logs are kept. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * The reader portal on AWS: its built files in a private {@link SecureBucket}, served by CloudFront
 * through origin access control (never a public bucket, no OAI), HTTPS only (HTTP redirects), TLS
 * 1.2+ on the custom domain, the security headers and the deployment's Content-Security-Policy
 * (portal/csp.ts) on every response. The site bucket's server access logs go to the study's
 * access-log bucket (no ACLs); CloudFront's standard logs, which CloudFront delivers only through a
 * bucket ACL, go to this construct's own small log bucket, the only one with ACLs. config.json is written
 * at deploy time from the stacks' values (API, pool, client), so one build serves every study.
 *
 * With `domain.streamingName`, a second distribution proxies that subdomain to AppStream's
 * streaming host, and the page carries `appstream-custom-url-domain` (AWS's requirements for
 * embedded sessions in browsers that block third-party cookies; README "Custom domains").
 */
export class PortalHosting extends Construct {
  readonly bucket: s3.Bucket;
  /** CloudFront's standard logs of the portal and the streaming proxy. */
  readonly cloudFrontLogBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly responseHeaders: cloudfront.ResponseHeadersPolicy;
  /** The AppStream custom streaming domain's proxy, when configured. */
  readonly streamingProxy?: cloudfront.Distribution;
  /** The host name readers open: the custom domain, or the distribution's own (a token). */
  readonly domainName: string;
  /** The Content-Security-Policy header the portal is served with. */
  readonly contentSecurityPolicy: string;

  constructor(scope: Construct, id: string, props: PortalHostingProps) {
    super(scope, id);
    const { config, domain } = props;
    const logBucket = s3.Bucket.fromBucketAttributes(this, 'AccessLogBucket', {
      bucketArn: props.accessLogBucket.bucketArn,
      // Given, not parsed from the ARN: cfn-lint cannot type Fn::Split over a cross-stack output.
      bucketName: props.accessLogBucket.bucketName,
    });
    // Its own bucket: CloudFront's standard (legacy) logging writes through a bucket ACL, so the
    // study's access-log bucket can keep ACLs disabled. In this stack, so no data stack reference.
    this.cloudFrontLogBucket = new SecureBucket(this, 'CloudFrontLogs', {
      receivesCloudFrontLogs: true,
      // Who reads or deletes these logs is itself logged, in the study's (ACL-free) access-log bucket.
      serverAccessLogs: { bucket: logBucket, prefix: PORTAL_LOG_PREFIXES.cloudFrontLogs },
      removalPolicy: props.logRemovalPolicy,
      // Kept as long as the study's other logs; a deleted log can be restored for 30 days.
      lifecycleRules: [{ expiration: Duration.days(props.logRetention), noncurrentVersionExpiration: Duration.days(30) }],
      singleRegionReason:
        "This bucket holds only CloudFront's request logs of the portal and the streaming proxy; a study is single-region by design and versioning protects the logs in place.",
    });
    const certificate = domain && acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn);

    this.bucket = new SecureBucket(this, 'Site', {
      servesPublicFiles: true,
      serverAccessLogs: { bucket: logBucket, prefix: PORTAL_LOG_PREFIXES.site },
      // Build output only, written again by every deploy: it goes with the (stateless) stack
      // whatever the study's retention, emptied first; its logs are in the data stack.
      removalPolicy: RemovalPolicy.DESTROY,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      singleRegionReason:
        'The portal bucket holds only build output that every deployment writes again from the repository; a copy in a second region would add nothing CloudFront needs (it serves from its edge caches).',
    });

    // The access-log bucket's policy (data stack) already allows these logs by prefix: ScansStore.
    for (const bucket of [this.bucket, this.cloudFrontLogBucket]) {
      Annotations.of(bucket).acknowledgeWarning(
        '@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
        "The data stack's access-log bucket allows the portal buckets' logs under their prefixes (ScansStore, PortalAccessLogs); this stack cannot change that bucket's policy.",
      );
    }

    this.contentSecurityPolicy = cspFromOrigins({
      // The API's endpoint is an origin already (no path); Cognito's is the region's. Without a
      // custom domain the API's CORS must name this distribution's generated domain, so the
      // header cannot also name the API's generated id (each would wait for the other:
      // CloudFormation refuses the cycle); it then allows the region's API Gateway host pattern.
      connect: [domain ? config.apiUrl : regionalApiOrigins(config.region), cognitoOrigin(config.region)],
      frames: [appStreamOrigin(config.region), ...(domain?.streamingName ? [`https://${domain.streamingName}`] : [])],
    });
    this.responseHeaders = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'ReadRoom portal: security headers and the deployment CSP',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: this.contentSecurityPolicy, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      // AWS: the page that embeds sessions from a custom domain names that domain in this header.
      customHeadersBehavior: domain?.streamingName
        ? { customHeaders: [{ header: 'appstream-custom-url-domain', value: domain.streamingName, override: true }] }
        : undefined,
      removeHeaders: ['server'],
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'ReadRoom reader portal',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeaders,
        compress: true,
      },
      ...(domain && certificate ? { domainNames: [domain.name], certificate, minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 } : {}),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // North America, Europe, Asia (Korea and Japan included), Middle East and Africa.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      enableLogging: true,
      logBucket: this.cloudFrontLogBucket,
      logFilePrefix: CLOUDFRONT_LOG_PREFIXES.portal,
    });
    this.domainName = domain?.name ?? this.distribution.distributionDomainName;
    this.acknowledgeDistribution(this.distribution, Boolean(domain));

    if (domain?.streamingName && certificate) {
      this.streamingProxy = this.createStreamingProxy(domain.streamingName, certificate, config.region);
    }

    this.deploy(props);
  }

  /**
   * AppStream's custom streaming domain: CloudFront in front of `appstream2.<region>.aws.amazon.com`,
   * every method, nothing cached, every viewer header but Host forwarded (AWS's blog "Using custom
   * domains with Amazon AppStream 2.0" sets it up this way).
   */
  private createStreamingProxy(name: string, certificate: acm.ICertificate, region: string): cloudfront.Distribution {
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'StreamingHeaders', {
      comment: 'ReadRoom AppStream streaming proxy: HSTS',
      // HSTS only: AppStream's own pages keep the headers AppStream sends (its CSP names the
      // EmbedHostDomains that may frame them).
      securityHeadersBehavior: { strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true } },
    });
    const proxy = new cloudfront.Distribution(this, 'StreamingProxy', {
      comment: 'ReadRoom AppStream custom streaming domain',
      domainNames: [name],
      certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      defaultBehavior: {
        origin: new origins.HttpOrigin(new URL(appStreamOrigin(region)).hostname, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: headers,
        compress: false,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      enableLogging: true,
      logBucket: this.cloudFrontLogBucket,
      logFilePrefix: CLOUDFRONT_LOG_PREFIXES.streamingProxy,
    });
    this.acknowledgeDistribution(proxy, true);
    return proxy;
  }

  /**
   * The built portal, config.json and (when given) AWS's embed script, copied into the site bucket
   * at deploy time by CDK's BucketDeployment (a Lambda function with the AWS CLI layer; no Docker
   * at synth: the portal is built by esbuild in this process). Every file is served with
   * `Cache-Control: no-cache`: browsers and CloudFront (after its one-second minimum) revalidate,
   * so a deployment is live at once without an invalidation (or the permission to create one).
   */
  private deploy(props: PortalHostingProps): void {
    const { config } = props;
    const runtimeConfig: Record<string, string> = {
      apiUrl: config.apiUrl,
      region: config.region,
      userPoolId: config.userPoolId,
      clientId: config.clientId,
      ...(props.embedScriptFile ? { embedScriptPath: EMBED_SCRIPT_PATH } : {}),
      ...(props.domain?.streamingName ? { streamingDomain: props.domain.streamingName } : {}),
    };
    const sources = [
      // Built by portal/build.ts's recipe at synth; tests that skip bundling stage portal/ itself.
      // The hash is of the build, which also covers the domain/ code the portal bundles.
      s3deploy.Source.asset(PORTAL_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: DockerImage.fromRegistry('readroom/local-bundling-only'),
          local: {
            tryBundle: (outputDir) => {
              for (const file of ['index.html', 'portal.js', 'portal.css']) copyFileSync(path.join(builtPortalDir(), file), path.join(outputDir, file));
              return true;
            },
          },
        },
      }),
      s3deploy.Source.jsonData('config.json', runtimeConfig),
      ...(props.embedScriptFile ? [s3deploy.Source.data(EMBED_SCRIPT_PATH.slice(1), readEmbedScript(props.embedScriptFile))] : []),
    ];

    const logGroup = new logs.LogGroup(this, 'DeployLogs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      // Logs of a deploy-time function go with the stack that ran it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role with one customer-managed policy of exact actions: the construct's default role
    // would carry AWSLambdaBasicExecutionRole and an inline policy of wildcard actions.
    const role = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "Copies the portal's files into its bucket at deploy time",
    });
    const stack = Stack.of(this);
    // The CDK bootstrap's file-asset bucket, where every Source above is uploaded.
    const qualifier = stack.synthesizer.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const assetObjects = `arn:${stack.partition}:s3:::cdk-${qualifier}-assets-${stack.account}-${stack.region}/*`;
    const policy = new iam.ManagedPolicy(this, 'DeployPolicy', {
      description: "ReadRoom: copy the portal's deployment assets into the site bucket",
      roles: [role],
      statements: [
        new iam.PolicyStatement({ sid: 'ReadAssets', actions: ['s3:GetObject'], resources: [assetObjects] }),
        new iam.PolicyStatement({ sid: 'ListSite', actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'WriteSite', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [this.bucket.arnForObjects('*')] }),
        new iam.PolicyStatement({ sid: 'Logs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      ],
    });
    const deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      sources,
      destinationBucket: this.bucket,
      prune: true,
      cacheControl: [s3deploy.CacheControl.noCache()],
      role: role.withoutPolicyUpdates(),
      logGroup,
      memoryLimit: 256,
    });
    deployment.node.addDependency(policy);
    this.acknowledgeDeployment(stack, policy, assetObjects);
  }

  private acknowledgeDistribution(distribution: cloudfront.Distribution, customDomain: boolean): void {
    const cfn = distribution.node.defaultChild as cloudfront.CfnDistribution;
    const ack = (id: string, reason: string) => Validations.of(cfn).acknowledge({ id, reason });
    ack(
      'AwsSolutions-CFR1',
      'Readers are ophthalmologists who may read from abroad (conferences, travel); the portal holds no data, and every call it makes needs a Cognito sign-in with MFA. A country block would stop readers, not attackers.',
    );
    ack(
      'AwsSolutions-CFR2',
      'The distribution serves static files (portal) or proxies AppStream sign-in URLs that are single-use bearer tokens; the API it calls has its own throttling and JWT authorizer. A web ACL (about $5 a month plus per-request fees) would inspect nothing that carries study data.',
    );
    if (!customDomain) {
      ack(
        'AwsSolutions-CFR4',
        "Without portal.domain the portal is served on CloudFront's *.cloudfront.net certificate, whose minimum protocol CloudFront fixes (TLSv1). Set portal.domain (name and a us-east-1 certificate) for TLSv1.2_2021, as a production study should (README, Custom domains).",
      );
    }
  }

  private acknowledgeDeployment(stack: Stack, policy: iam.ManagedPolicy, assetObjects: string): void {
    const fn = stack.node.findAll().find((c) => c instanceof lambda.Function && c.node.id.startsWith('Custom::CDKBucketDeployment')) as lambda.Function | undefined;
    if (!fn) throw new Error('PortalHosting: the BucketDeployment function was not found');
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    const ack = (rules: string[], reason: string) => rules.forEach((id) => Validations.of(cfn).acknowledge({ id, reason }));
    ack(
      ['HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC'],
      "CloudFormation invokes this function only during a deployment to copy the portal's public build files from the CDK asset bucket to the site bucket; it handles no study data. Inside the isolated study VPC it could not answer CloudFormation (a pre-signed URL on an AWS-owned bucket).",
    );
    ack(
      ['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ'],
      'A failed copy is reported to CloudFormation, which fails and rolls back the deployment; a queue would only hold copies of CloudFormation events that nobody consumes.',
    );
    ack(
      ['HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'],
      'Only CloudFormation invokes it, once per deployment. Reserving concurrency would take capacity from the account pool and fails deployments in accounts still at the new-account quota.',
    );
    ack(
      ['AwsSolutions-L1'],
      "The runtime is the one aws-cdk-lib's BucketDeployment pins for its handler and AWS CLI layer; it moves with aws-cdk-lib upgrades, not with this project.",
    );
    const policyCfn = policy.node.defaultChild as iam.CfnManagedPolicy;
    Validations.of(policyCfn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack, assetObjects)}]`,
      reason: 'The CDK asset bucket names each asset by its content hash, known only after synth: the function reads the objects of that one bucket.',
    });
    Validations.of(policyCfn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: "The portal's site bucket holds only its build files; the copy replaces all of them (prune), so it writes and deletes any key of that one bucket.",
    });
  }
}

function readEmbedScript(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`portal.embedScript: cannot read ${file} (${(e as NodeJS.ErrnoException).code}); copy appstream-embed.js from AWS's embed kit there (portal/README.md)`);
  }
}

/** A value as cdk-nag writes it in a finding id: CloudFormation references as `<AWS::AccountId>`. */
function nagText(stack: Stack, value: string): string {
  const resolved = stack.resolve(value) as string | { 'Fn::Join': [string, Array<string | { Ref: string }>] };
  if (typeof resolved === 'string') return resolved;
  return resolved['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${part.Ref}>`)).join('');
}

/** Every HTTP API endpoint of a region: the CSP's API source when the portal has no custom domain. */
export const regionalApiOrigins = (region: string) => `https://*.execute-api.${region}.amazonaws.com`;
