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

/**
 * The header for a deployment. `frameOrigins` adds frame sources (the local room's AppStream
 * stand-in); AWS's streaming host for the region is always allowed, and the custom streaming
 * domain when configured.
 */
export function portalCsp(config: PortalConfig, opts: { frameOrigins?: readonly string[] } = {}): string {
  const connect = new Set(["'self'", origin(config.apiUrl), config.cognitoEndpoint ? origin(config.cognitoEndpoint) : `https://cognito-idp.${config.region}.amazonaws.com`]);
  const frames = new Set([`https://appstream2.${config.region}.aws.amazon.com`, ...(config.streamingDomain ? [`https://${config.streamingDomain}`] : []), ...(opts.frameOrigins ?? []).map(origin)]);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src ${[...connect].join(' ')}`,
    `frame-src ${[...frames].join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
