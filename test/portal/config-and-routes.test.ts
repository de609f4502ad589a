/**
 * config.json (checked field by field, named on the page when wrong), the page's CSP built from it,
 * and the fragment routes.
 */
import { portalCsp, PORTAL_META_CSP } from '../../portal/csp';
import { ConfigError, loadConfig, parseConfig } from '../../portal/src/config';
import { href, parseRoute } from '../../portal/src/router';

const AWS = { apiUrl: 'https://abc123.execute-api.ap-northeast-2.amazonaws.com/', region: 'ap-northeast-2', userPoolId: 'ap-northeast-2_AbC123', clientId: '4tq1example5client' };

describe('config.json', () => {
  it('takes a deployment’s settings and drops a trailing slash from the API URL', () => {
    expect(parseConfig({ ...AWS, embedScriptPath: '/vendor/appstream-embed.js', streamingDomain: 'stream.portal.example.org', advancedSecurityScriptPath: '/vendor/amazon-cognito-advanced-security-data.min.js' })).toEqual({
      ...AWS,
      apiUrl: 'https://abc123.execute-api.ap-northeast-2.amazonaws.com',
      embedScriptPath: '/vendor/appstream-embed.js',
      streamingDomain: 'stream.portal.example.org',
      advancedSecurityScriptPath: '/vendor/amazon-cognito-advanced-security-data.min.js',
    });
  });

  it("takes the local room's settings: loopback http, moto's endpoint, the shim", () => {
    expect(parseConfig({ ...AWS, apiUrl: 'http://127.0.0.1:4510', cognitoEndpoint: 'http://127.0.0.1:4511', embedShim: true })).toMatchObject({ apiUrl: 'http://127.0.0.1:4510', cognitoEndpoint: 'http://127.0.0.1:4511', embedShim: true });
  });

  it.each([
    [{ ...AWS, apiUrl: 'http://api.example.org' }, 'apiUrl must be https'],
    [{ ...AWS, apiUrl: 'not a url' }, 'apiUrl is not a URL'],
    [{ ...AWS, region: 'Seoul' }, 'region must be'],
    [{ ...AWS, userPoolId: 'pool' }, 'userPoolId must be'],
    [{ ...AWS, clientId: undefined }, 'clientId must be'],
    // Scripts load from the portal's own origin only (the CSP allows 'self' and nothing else).
    [{ ...AWS, embedScriptPath: 'https://cdn.example.org/appstream-embed.js' }, 'embedScriptPath must be a path on this site'],
    [{ ...AWS, embedScriptPath: '//cdn.example.org/appstream-embed.js' }, 'embedScriptPath must be a path on this site'],
    [{ ...AWS, embedShim: 'yes' }, 'embedShim must be true or false'],
    [{ ...AWS, streamingDomain: 'https://stream.example.org' }, 'streamingDomain must be a host name'],
    [{ ...AWS, apiURL: 'https://x' }, 'apiURL is not a setting'],
    [[], '(file) must be a JSON object'],
  ])('refuses %j, naming the field', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(message);
  });

  it('names a missing or broken file', async () => {
    const answer = (res: Response | Error) => (async () => (res instanceof Error ? Promise.reject(res) : res)) as unknown as typeof fetch;
    await expect(loadConfig(answer(new Response('', { status: 404 })))).rejects.toThrow('config.json: (file) could not be fetched: HTTP 404');
    await expect(loadConfig(answer(new Response('{', { status: 200 })))).rejects.toThrow('is not valid JSON');
    await expect(loadConfig(answer(new Error('offline')))).rejects.toThrow('could not be fetched: offline');
    await expect(loadConfig(answer(new Response(JSON.stringify(AWS), { status: 200 })))).resolves.toMatchObject({ region: 'ap-northeast-2' });
  });
});

describe('CSP', () => {
  it('lets the page call the API and Cognito, frame AppStream, and nothing else', () => {
    const csp = portalCsp(parseConfig({ ...AWS, streamingDomain: 'stream.portal.example.org' }));
    const directive = (name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `));
    expect(directive('default-src')).toBe("default-src 'none'");
    expect(directive('script-src')).toBe("script-src 'self'");
    expect(directive('connect-src')).toBe("connect-src 'self' https://abc123.execute-api.ap-northeast-2.amazonaws.com https://cognito-idp.ap-northeast-2.amazonaws.com");
    expect(directive('frame-src')).toBe('frame-src https://appstream2.ap-northeast-2.aws.amazon.com https://stream.portal.example.org');
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
  });

  it("uses the configured Cognito endpoint and adds the local stand-in's frames", () => {
    const csp = portalCsp(parseConfig({ ...AWS, cognitoEndpoint: 'http://127.0.0.1:5000/' }), { frameOrigins: ['http://127.0.0.1:6000/stream/x'] });
    expect(csp).toContain("connect-src 'self' https://abc123.execute-api.ap-northeast-2.amazonaws.com http://127.0.0.1:5000;");
    expect(csp).toContain('frame-src https://appstream2.ap-northeast-2.aws.amazon.com http://127.0.0.1:6000;');
    expect(PORTAL_META_CSP).toBe("script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'");
  });
});

describe('routes', () => {
  it.each([
    ['', { page: 'home' }],
    ['#/', { page: 'home' }],
    ['#/read/abcdefghijk2', { page: 'read', ref: 'abcdefghijk2' }],
    ['#/read/CASE-0001', { page: 'notFound' }], // a case id is not a ref
    ['#/adjudications', { page: 'adjudications' }],
    ['#/adjudications/CASE-0042', { page: 'adjudication', caseId: 'CASE-0042' }],
    ['#/adjudications/..%2F..', { page: 'notFound' }],
    ['#/coordinator', { page: 'coordinator', tab: 'progress' }],
    ['#/coordinator/audit', { page: 'coordinator', tab: 'audit' }],
    ['#/coordinator/withdraw', { page: 'coordinator', tab: 'withdraw' }],
    ['#/coordinator/withdraw?ref=abcdefghijk2', { page: 'coordinator', tab: 'withdraw' }],
    ['#/coordinator/unknown', { page: 'notFound' }],
    ['#/read/abcdefghijk2/extra', { page: 'notFound' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('writes what it reads', () => {
    for (const r of [{ page: 'read', ref: 'abcdefghijk2' }, { page: 'adjudication', caseId: 'CASE-0042' }, { page: 'coordinator', tab: 'export' }, { page: 'adjudications' }] as const) expect(parseRoute(href(r))).toEqual(r);
  });
});
