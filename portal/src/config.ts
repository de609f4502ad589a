/**
 * The portal's runtime configuration: `config.json` beside index.html, fetched at start, so one
 * build serves every deployment (AWS, the local room, a test) without a rebuild. The fields are
 * documented in portal/README.md ("config.json"). Checked by hand, field by field, so a wrong file
 * is named on the page instead of failing somewhere later.
 */

export interface PortalConfig {
  /** The reading API's base URL (the HTTP API's endpoint or its custom domain), no trailing slash. */
  apiUrl: string;
  /** The user pool's region, e.g. ap-northeast-2. */
  region: string;
  userPoolId: string;
  /** The portal's app client (no secret; USER_SRP_AUTH and REFRESH_TOKEN_AUTH only). */
  clientId: string;
  /** Cognito Identity Provider endpoint; only the local room sets it (moto). */
  cognitoEndpoint?: string;
  /**
   * Same-origin path of AWS's `appstream-embed.js` (the operator copies it from AWS's embed kit
   * at deploy time). Absent: streaming sessions open in a new tab, and the page says so.
   */
  embedScriptPath?: string;
  /** The local room: the session is shown in an iframe of the streaming URL (no AWS script). */
  embedShim?: boolean;
  /**
   * AppStream custom streaming domain (a subdomain of the portal's, proxied by CloudFront):
   * streaming URLs are rewritten to it so the session's cookies are first-party.
   */
  streamingDomain?: string;
  /** Same-origin path of Cognito's advanced-security script, for UserContextData (threat protection). */
  advancedSecurityScriptPath?: string;
}

export class ConfigError extends Error {
  constructor(readonly field: string, detail: string) {
    super(`config.json: ${field} ${detail}`);
    this.name = 'ConfigError';
  }
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
const CLIENT_ID = /^[\w+]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** A path on the portal's own origin: scripts load from 'self' only (the page's CSP). */
const SAME_ORIGIN_PATH = /^\/(?!\/)[\w./-]+\.js$/;

function url(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ConfigError(field, 'is required (a URL)');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(field, `is not a URL: ${JSON.stringify(value.slice(0, 100))}`);
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))) {
    throw new ConfigError(field, 'must be https (http only on loopback, for the local room)');
  }
  return value.replace(/\/+$/, '');
}

function text(value: unknown, field: string, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new ConfigError(field, `must be ${what}`);
  return value;
}

function optional<T>(raw: Record<string, unknown>, field: string, read: (v: unknown, field: string) => T): T | undefined {
  return raw[field] === undefined || raw[field] === null || raw[field] === '' ? undefined : read(raw[field], field);
}

const KNOWN = ['apiUrl', 'region', 'userPoolId', 'clientId', 'cognitoEndpoint', 'embedScriptPath', 'embedShim', 'streamingDomain', 'advancedSecurityScriptPath'];

export function parseConfig(raw: unknown): PortalConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('(file)', 'must be a JSON object');
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KNOWN.includes(k));
  if (unknown.length) throw new ConfigError(unknown[0], `is not a setting (known: ${KNOWN.join(', ')})`);
  const config: PortalConfig = {
    apiUrl: url(o.apiUrl, 'apiUrl'),
    region: text(o.region, 'region', REGION, 'an AWS region such as ap-northeast-2'),
    userPoolId: text(o.userPoolId, 'userPoolId', POOL_ID, 'a user pool id such as ap-northeast-2_AbC123'),
    clientId: text(o.clientId, 'clientId', CLIENT_ID, "the portal app client's id"),
  };
  const cognitoEndpoint = optional(o, 'cognitoEndpoint', url);
  const embedScriptPath = optional(o, 'embedScriptPath', (v, f) => text(v, f, SAME_ORIGIN_PATH, 'a path on this site ending in .js, e.g. /vendor/appstream-embed.js'));
  const advancedSecurityScriptPath = optional(o, 'advancedSecurityScriptPath', (v, f) => text(v, f, SAME_ORIGIN_PATH, 'a path on this site ending in .js'));
  const streamingDomain = optional(o, 'streamingDomain', (v, f) => text(v, f, DOMAIN, 'a host name such as stream.portal.example.org'));
  const embedShim = optional(o, 'embedShim', (v, f) => {
    if (typeof v !== 'boolean') throw new ConfigError(f, 'must be true or false');
    return v;
  });
  return {
    ...config,
    ...(cognitoEndpoint ? { cognitoEndpoint } : {}),
    ...(embedScriptPath ? { embedScriptPath } : {}),
    ...(embedShim ? { embedShim } : {}),
    ...(streamingDomain ? { streamingDomain } : {}),
    ...(advancedSecurityScriptPath ? { advancedSecurityScriptPath } : {}),
  };
}

export async function loadConfig(fetchImpl: typeof fetch = (...a) => globalThis.fetch(...a), path = 'config.json'): Promise<PortalConfig> {
  let res: Response;
  try {
    res = await fetchImpl(path, { cache: 'no-store', credentials: 'same-origin' });
  } catch (e) {
    throw new ConfigError('(file)', `could not be fetched: ${(e as Error).message}`);
  }
  if (!res.ok) throw new ConfigError('(file)', `could not be fetched: HTTP ${res.status}`);
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new ConfigError('(file)', 'is not valid JSON');
  }
  return parseConfig(json);
}
