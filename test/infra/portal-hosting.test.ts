/**
 * The portal on AWS (lib/constructs/portal-hosting.ts): a private site bucket read by CloudFront
 * through origin access control, HTTPS only, TLS 1.2+ on the custom domain, the security headers
 * and the deployment's CSP, the site's logs to the study's access-log bucket and CloudFront's to the
 * portal's own log bucket (the only one with ACLs), config.json written at deploy
 * from the stacks' values, and AppStream's custom streaming domain. Two studies: the example (no
 * domain: CloudFront's name) and the custom-domain variant (domain, streaming subdomain, embed script).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../portal/src/config';
import { CUSTOM_DOMAIN_PORTAL, VARIANTS, buildStudy } from '../helpers/studies';
import { SynthesizedStudy, synthStudy } from '../helpers/test-app';
import { CfnResourceJson, Json, json, onlyResource, resourcesOfType } from '../helpers/template';

let plain: SynthesizedStudy;
let custom: SynthesizedStudy;
beforeAll(() => {
  // Staged: the config.json test reads the deployed files from the cloud assembly.
  plain = synthStudy(VARIANTS.example(), { stageAssets: true });
  custom = synthStudy(VARIANTS.customDomain(), { stageAssets: true });
}, 60_000);

const REGION = 'ap-northeast-2';
const { name: DOMAIN, streamingName: STREAMING, certificateArn: CERT } = CUSTOM_DOMAIN_PORTAL.domain;
/** CloudFront's managed policies (their ids are fixed by AWS). */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const props = (r: CfnResourceJson) => r.Properties as Record<string, Json>;
const distributions = (s: SynthesizedStudy) => Object.entries(resourcesOfType(s.reading, 'AWS::CloudFront::Distribution'));
const portalDistribution = (s: SynthesizedStudy) => distributions(s).find(([id]) => id.startsWith('PortalDistribution'))!;
const distConfig = (s: SynthesizedStudy) => props(portalDistribution(s)[1]).DistributionConfig as Record<string, Json>;
const siteBucketId = (s: SynthesizedStudy) => Object.keys(resourcesOfType(s.reading, 'AWS::S3::Bucket')).find((id) => id.startsWith('PortalSite'))!;
const cfLogBucketId = (s: SynthesizedStudy) => Object.keys(resourcesOfType(s.reading, 'AWS::S3::Bucket')).find((id) => id.startsWith('PortalCloudFrontLogs'))!;
const regionalNameOf = (id: string) => ({ 'Fn::GetAtt': [id, 'RegionalDomainName'] });
const headersPolicy = (s: SynthesizedStudy, prefix = 'PortalHeaders') =>
  (props(Object.entries(resourcesOfType(s.reading, 'AWS::CloudFront::ResponseHeadersPolicy')).find(([id]) => id.startsWith(prefix))![1]).ResponseHeadersPolicyConfig as Record<string, Json>);
const cspOf = (s: SynthesizedStudy) => JSON.stringify(((headersPolicy(s).SecurityHeadersConfig as Record<string, Record<string, Json>>).ContentSecurityPolicy).ContentSecurityPolicy);

describe('site bucket', () => {
  test('is private, TLS-only, versioned, without ACLs, SSE-S3 (public files; the study key stays out of CloudFront’s reach)', () => {
    expect(json(plain.reading).Resources[siteBucketId(plain)].Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  test('goes with the stateless stack even in a retained study (build output only), emptied first', () => {
    expect(json(plain.reading).Resources[siteBucketId(plain)]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    plain.reading.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: siteBucketId(plain) } });
  });

  test('logs to the study’s access-log bucket under portal/site/', () => {
    const logging = props(json(plain.reading).Resources[siteBucketId(plain)]).LoggingConfiguration as Record<string, Json>;
    expect(logging.LogFilePrefix).toBe('portal/site/');
    expect(JSON.stringify(logging.DestinationBucketName)).toMatch(/ImportValue|GetStackOutput/);
  });

  test('is read by CloudFront through origin access control only, for this distribution', () => {
    const policy = Object.values(resourcesOfType(plain.reading, 'AWS::S3::BucketPolicy')).find((p) => JSON.stringify(props(p).Bucket) === JSON.stringify({ Ref: siteBucketId(plain) }))!;
    const statements = (props(policy).PolicyDocument as { Statement: Array<Record<string, Json>> }).Statement.filter((st) => st.Effect === 'Allow');
    // Besides CloudFront, only CDK's empty-on-delete function, which can list and delete but never read.
    const autoDelete = statements.filter((st) => JSON.stringify(st.Principal).includes('CustomS3AutoDeleteObjectsCustomResourceProviderRole'));
    expect(autoDelete.map((st) => st.Action)).toEqual([['s3:DeleteObject*', 's3:GetBucket*', 's3:List*', 's3:PutBucketPolicy']]);
    const allows = statements.filter((st) => !autoDelete.includes(st));
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [siteBucketId(plain), 'Arn'] }, '/*']] },
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      },
    ]);
    expect(JSON.stringify(allows[0].Condition)).toContain(portalDistribution(plain)[0]);
  });
});

describe('distribution', () => {
  test('uses origin access control (signed requests), never an origin access identity', () => {
    plain.reading.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    plain.reading.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    const [origin] = distConfig(plain).Origins as Array<Record<string, Json>>;
    expect(origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PortalDistributionOrigin1S3OriginAccessControl/), 'Id'] });
    expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
  });

  test('redirects HTTP to HTTPS, serves GET and HEAD only, compressed, with the portal’s headers policy', () => {
    expect(distConfig(plain)).toMatchObject({
      DefaultRootObject: 'index.html',
      HttpVersion: 'http2and3',
      DefaultCacheBehavior: {
        ViewerProtocolPolicy: 'redirect-to-https',
        AllowedMethods: ['GET', 'HEAD'],
        Compress: true,
        CachePolicyId: CACHING_OPTIMIZED,
        ResponseHeadersPolicyId: { Ref: expect.stringMatching(/^PortalHeaders/) },
      },
    });
  });

  test('writes standard logs to the portal’s own CloudFront log bucket under portal/, not to the study’s access-log bucket', () => {
    expect(distConfig(plain).Logging).toEqual({ Bucket: regionalNameOf(cfLogBucketId(plain)), Prefix: 'portal/' });
  });

  test('on the custom domain: its name, the us-east-1 certificate, SNI, TLS 1.2 minimum', () => {
    expect(distConfig(custom)).toMatchObject({
      Aliases: [DOMAIN],
      ViewerCertificate: { AcmCertificateArn: CERT, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
    });
  });

  test('without a custom domain it is CloudFront’s own name and certificate (TLS policy set by CloudFront)', () => {
    expect(distConfig(plain).Aliases).toBeUndefined();
    expect(distConfig(plain).ViewerCertificate).toBeUndefined(); // CloudFront's default certificate
  });
});

describe('response headers', () => {
  test('HSTS (two years, subdomains), nosniff, frames denied, no referrer', () => {
    expect(headersPolicy(plain).SecurityHeadersConfig).toMatchObject({
      StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      ContentSecurityPolicy: { Override: true },
    });
  });

  test('the CSP allows the API, Cognito and AppStream’s streaming host (and the custom streaming domain) and nothing else', () => {
    const [api] = Object.keys(resourcesOfType(custom.reading, 'AWS::ApiGatewayV2::Api'));
    expect(JSON.parse(cspOf(custom))).toEqual({
      'Fn::Join': [
        '',
        [
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ",
          { 'Fn::GetAtt': [api, 'ApiEndpoint'] },
          ` https://cognito-idp.${REGION}.amazonaws.com; frame-src https://appstream2.${REGION}.aws.amazon.com https://${STREAMING}; ` +
            "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ],
      ],
    });
  });

  test('without a custom domain the API source is the region’s API Gateway pattern (CORS names the distribution: no cycle)', () => {
    expect(JSON.parse(cspOf(plain))).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' https://*.execute-api.${REGION}.amazonaws.com https://cognito-idp.${REGION}.amazonaws.com; ` +
        `frame-src https://appstream2.${REGION}.aws.amazon.com; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
  });

  test('the page names the custom streaming domain in appstream-custom-url-domain, only when there is one', () => {
    expect(headersPolicy(custom).CustomHeadersConfig).toEqual({ Items: [{ Header: 'appstream-custom-url-domain', Value: STREAMING, Override: true }] });
    expect(headersPolicy(plain).CustomHeadersConfig).toBeUndefined();
  });
});

describe('AppStream custom streaming domain', () => {
  test('a second distribution proxies the subdomain to AppStream’s streaming host: HTTPS/TLS 1.2 both ways, every method, nothing cached, Host not forwarded', () => {
    const [, proxy] = distributions(custom).find(([id]) => id.startsWith('PortalStreamingProxy'))!;
    expect(props(proxy).DistributionConfig).toMatchObject({
      Aliases: [STREAMING],
      ViewerCertificate: { AcmCertificateArn: CERT, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
      Origins: [{ DomainName: `appstream2.${REGION}.aws.amazon.com`, CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] } }],
      DefaultCacheBehavior: {
        ViewerProtocolPolicy: 'redirect-to-https',
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
      },
      Logging: { Bucket: regionalNameOf(cfLogBucketId(custom)), Prefix: 'streaming-proxy/' },
    });
    expect(headersPolicy(custom, 'PortalStreamingHeaders').SecurityHeadersConfig).toEqual({
      StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true },
    });
  });

  test('only with a streaming name', () => {
    expect(distributions(plain).map(([id]) => id)).toEqual([expect.stringMatching(/^PortalDistribution/)]);
    const noStreaming = synthStudy(buildStudy({ portal: { domain: { name: DOMAIN, certificateArn: CERT } } }));
    expect(distributions(noStreaming).map(([id]) => id)).toEqual([expect.stringMatching(/^PortalDistribution/)]);
  }, 30_000);

  test('the functions that issue streaming URLs (reader, adjudication) rewrite them to it; no other function gets it', () => {
    const withDomain = Object.entries(resourcesOfType(custom.reading, 'AWS::Lambda::Function'))
      .filter(([, r]) => ((props(r).Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {}).APPSTREAM_STREAMING_DOMAIN !== undefined)
      .map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), (props(r).Environment as { Variables: Record<string, Json> }).Variables.APPSTREAM_STREAMING_DOMAIN]);
    expect(withDomain.sort()).toEqual([
      [expect.stringMatching(/^ApiAdjudication/), STREAMING],
      [expect.stringMatching(/^ApiReader/), STREAMING],
    ]);
    const plainEnvs = JSON.stringify(resourcesOfType(plain.reading, 'AWS::Lambda::Function'));
    expect(plainEnvs).not.toContain('APPSTREAM_STREAMING_DOMAIN');
  });
});

describe('the portal’s domain is the one the rest of the room names', () => {
  const domainOf = (s: SynthesizedStudy) => ({ 'Fn::GetAtt': [portalDistribution(s)[0], 'DomainName'] });

  test('AppStream EmbedHostDomains and the redirect URL', () => {
    custom.reading.hasResourceProperties('AWS::AppStream::Stack', { EmbedHostDomains: [DOMAIN], RedirectURL: `https://${DOMAIN}/` });
    plain.reading.hasResourceProperties('AWS::AppStream::Stack', { EmbedHostDomains: [domainOf(plain)], RedirectURL: { 'Fn::Join': ['', ['https://', domainOf(plain), '/']] } });
  });

  test('the API’s CORS allowed origins', () => {
    custom.reading.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: [`https://${DOMAIN}`] }) });
    plain.reading.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: [{ 'Fn::Join': ['', ['https://', domainOf(plain)]] }] }) });
  });

  test('the stack outputs the portal’s URL and, for DNS, the distributions’ names', () => {
    const outputs = json(custom.reading).Outputs as Record<string, { Value: Json }>;
    expect(outputs.PortalUrl.Value).toBe(`https://${DOMAIN}/`);
    expect(outputs.PortalDistributionDomain.Value).toEqual(domainOf(custom));
    expect(outputs.StreamingProxyDomain).toBeDefined();
    expect((json(plain.reading).Outputs as Record<string, unknown>).StreamingProxyDomain).toBeUndefined();
  });
});

describe('deployment of the files and config.json', () => {
  const deployment = (s: SynthesizedStudy) => props(onlyResource(s.reading, 'Custom::CDKBucketDeployment')[1]);

  test('replaces the site’s files (prune) with Cache-Control no-cache: a deployment is live without an invalidation', () => {
    expect(deployment(plain)).toMatchObject({ Prune: true, SystemMetadata: { 'cache-control': 'no-cache' }, DestinationBucketName: { Ref: siteBucketId(plain) } });
    expect(deployment(plain).DistributionId).toBeUndefined();
  });

  test('config.json takes the API URL, the pool and the client from the stacks at deploy time', () => {
    const markers = JSON.stringify(deployment(plain).SourceMarkers);
    expect(markers).toMatch(/"Fn::GetAtt":\["ApiHttpApi[0-9A-F]+","ApiEndpoint"\]/);
    expect(markers).toMatch(/ReadersUserPool[0-9A-F]+/);
    expect(markers).toMatch(/ReadersUserPoolPortalClient7765495F/);
  });

  test('config.json is what the portal reads (portal/src/config.ts), once deploy fills in the values', () => {
    const configOf = (x: SynthesizedStudy) => {
      const dirs = (deployment(x).SourceObjectKeys as string[]).map((k) => path.join(x.app.outdir, `asset.${k.replace(/\.zip$/, '')}`));
      const dir = dirs.find((d) => existsSync(path.join(d, 'config.json')))!;
      const deployed = readFileSync(path.join(dir, 'config.json'), 'utf8')
        .replace('<<marker:0xbaba:0>>', 'https://a1b2c3d4e5.execute-api.ap-northeast-2.amazonaws.com')
        .replace('<<marker:0xbaba:1>>', 'ap-northeast-2_AbC123')
        .replace('<<marker:0xbaba:2>>', '4tq1example5client');
      return parseConfig(JSON.parse(deployed));
    };
    expect(configOf(plain)).toEqual({ apiUrl: 'https://a1b2c3d4e5.execute-api.ap-northeast-2.amazonaws.com', region: REGION, userPoolId: 'ap-northeast-2_AbC123', clientId: '4tq1example5client' });
    expect(configOf(custom)).toMatchObject({ embedScriptPath: '/vendor/appstream-embed.js', streamingDomain: STREAMING });
  });

  test('three sources (site, config.json, embed script) with an embed script; two without', () => {
    expect((deployment(custom).SourceObjectKeys as Json[]).length).toBe(3);
    expect((deployment(plain).SourceObjectKeys as Json[]).length).toBe(2);
  });

  test('the copy function’s role has one customer-managed policy of exact actions, no AWS-managed or inline policy', () => {
    const [roleId, role] = Object.entries(resourcesOfType(plain.reading, 'AWS::IAM::Role')).find(([id]) => id.startsWith('PortalDeployRole'))!;
    expect(props(role).ManagedPolicyArns).toBeUndefined();
    expect(Object.values(resourcesOfType(plain.reading, 'AWS::IAM::Policy')).filter((p) => JSON.stringify(props(p).Roles).includes(roleId))).toEqual([]);
    const [, policy] = Object.entries(resourcesOfType(plain.reading, 'AWS::IAM::ManagedPolicy')).find(([id]) => id.startsWith('PortalDeployPolicy'))!;
    const actions = (props(policy).PolicyDocument as { Statement: Array<{ Action: Json }> }).Statement.flatMap((st) => st.Action);
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:DeleteObject', 's3:GetObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  test('a missing embed script fails synth naming the field and where the file comes from', () => {
    expect(() => synthStudy(buildStudy({ portal: { embedScript: 'vendor/missing-appstream-embed.js' } }))).toThrow(/portal\.embedScript: cannot read .*missing-appstream-embed\.js \(ENOENT\); copy appstream-embed\.js from AWS's embed kit/);
  });
});

describe('CloudFront log bucket', () => {
  test('is the only bucket with ACLs (CloudFront standard logging delivers through them; the owner still owns every object): private, TLS-only, versioned, SSE-S3', () => {
    expect(props(json(plain.reading).Resources[cfLogBucketId(plain)])).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
    });
    plain.reading.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: cfLogBucketId(plain) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    const withAcls = (s: SynthesizedStudy) =>
      [s.network, s.data, s.reading].flatMap((t) => Object.entries(resourcesOfType(t, 'AWS::S3::Bucket'))).filter(([, b]) => JSON.stringify(props(b).OwnershipControls) !== JSON.stringify({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] }));
    expect(withAcls(plain).map(([id]) => id)).toEqual([cfLogBucketId(plain)]);
    expect(withAcls(custom).map(([id]) => id)).toEqual([cfLogBucketId(custom)]);
  });

  test('keeps logs for the study’s log retention (365 days in the example), deleted ones 30 days more', () => {
    expect(props(json(plain.reading).Resources[cfLogBucketId(plain)]).LifecycleConfiguration).toEqual({
      Rules: [{ ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }],
    });
    const short = synthStudy(buildStudy({ retention: { logRetentionDays: 90 } }));
    const [, bucket] = Object.entries(resourcesOfType(short.reading, 'AWS::S3::Bucket')).find(([id]) => id.startsWith('PortalCloudFrontLogs'))!;
    expect(props(bucket).LifecycleConfiguration).toMatchObject({ Rules: [{ ExpirationInDays: 90 }] });
  });

  test('follows the study’s retention: retained with retain, deleted (emptied first) with destroy', () => {
    expect(json(plain.reading).Resources[cfLogBucketId(plain)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const destroy = synthStudy(VARIANTS.destroy());
    const id = cfLogBucketId(destroy);
    expect(json(destroy.reading).Resources[id]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    destroy.reading.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: id } });
  });

  test('its own reads and deletes are logged in the study’s access-log bucket under portal/cloudfront-logs/', () => {
    const logging = props(json(plain.reading).Resources[cfLogBucketId(plain)]).LoggingConfiguration as Record<string, Json>;
    expect(logging.LogFilePrefix).toBe('portal/cloudfront-logs/');
    expect(JSON.stringify(logging.DestinationBucketName)).toMatch(/ImportValue|GetStackOutput/);
  });
});

describe('the data stack’s side', () => {
  test('the portal client allows exactly SRP sign-in and refresh: no OAuth flow, no callback URL (the pinned logical id stays)', () => {
    const client = json(plain.data).Resources.ReadersUserPoolPortalClient7765495F;
    expect(client.Type).toBe('AWS::Cognito::UserPoolClient');
    expect(props(client).ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    expect(props(client).AllowedOAuthFlows).toBeUndefined();
    expect(props(client).CallbackURLs).toBeUndefined();
    expect(props(client).AllowedOAuthFlowsUserPoolClient).not.toBe(true);
  });

  test('the access-log bucket has no ACLs and takes the portal buckets’ server access logs under their prefixes, from this account', () => {
    const [id, bucket] = Object.entries(resourcesOfType(plain.data, 'AWS::S3::Bucket')).find(([k]) => k.startsWith('ScansAccessLogs'))!;
    expect(props(bucket).OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    plain.data.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'PortalAccessLogs',
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: [
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/portal/cloudfront-logs/*']] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/portal/site/*']] },
            ],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } },
          },
        ]),
      },
    });
  });

});
