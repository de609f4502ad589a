/**
 * The portal's Content-Security-Policy. The page's own part (in index.html's meta tag: scripts
 * and styles from the site itself only, no plugins, no <base>, no form posts) holds wherever it is
 * served. The deployment's part depends on config.json, so it goes in the HTTP header of
 * index.html: the API and Cognito endpoints are the only places the page may call, AppStream's
 * streaming host (or the custom streaming domain, or the local stand-in) the only frame source,
 * and no site may frame the portal. A browser enforces both policies.
 */
import type { PortalConfig } from './src/config';

/** In index.html: independent of the deployment. */
export const PORTAL_META_CSP = "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

const origin = (url: string) => new URL(url).origin;

/** The sources a deployment's header allows, as origins (scheme://host[:port], no path). */
export interface CspOrigins {
  /** Where the page may call (fetch): the API and Cognito. */
  readonly connect: readonly string[];
  /** What the page may frame: AppStream's streaming host, the custom streaming domain. */
  readonly frames: readonly string[];
}

/**
 * The header from origins. The CDK app calls this directly: at synth the API's URL is a
 * CloudFormation token, which `new URL` cannot parse, but its endpoint is already an origin.
 */
export function cspFromOrigins(origins: CspOrigins): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src ${["'self'", ...new Set(origins.connect)].join(' ')}`,
    `frame-src ${[...new Set(origins.frames)].join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Cognito's Identity Provider endpoint in a region (what the portal calls without `cognitoEndpoint`). */
export const cognitoOrigin = (region: string) => `https://cognito-idp.${region}.amazonaws.com`;
/** AppStream's streaming host in a region (the embedded session's frame without a custom domain). */
export const appStreamOrigin = (region: string) => `https://appstream2.${region}.aws.amazon.com`;

/**
 * The header for a deployment. `frameOrigins` adds frame sources (the local room's AppStream
 * stand-in); AWS's streaming host for the region is always allowed, and the custom streaming
 * domain when configured.
 */
export function portalCsp(config: PortalConfig, opts: { frameOrigins?: readonly string[] } = {}): string {
  return cspFromOrigins({
    connect: [origin(config.apiUrl), config.cognitoEndpoint ? origin(config.cognitoEndpoint) : cognitoOrigin(config.region)],
    frames: [appStreamOrigin(config.region), ...(config.streamingDomain ? [`https://${config.streamingDomain}`] : []), ...(opts.frameOrigins ?? []).map(origin)],
  });
}
