import { CaseFilesError, CaseFilesSession, fetchCaseFiles, fetchFile, MIN_REFRESH_MS, parseCaseFiles, REFRESH_MARGIN_MS, type CaseFiles } from '../../viewer/src/case-files';
import { readConfig, withoutConfig } from '../../viewer/src/config';
import { pickLang, SAME_IN_BOTH, translate, viewerMessages } from '../../viewer/src/i18n';
import { actionFor, SHORTCUTS } from '../../viewer/src/keys';
import { applyWindow, fullRange, layout, zoomAt } from '../../viewer/src/render';

const answer = (over: Record<string, unknown> = {}) => ({
  ref: 'R-1',
  expiresAt: '2030-01-01T00:00:00.000Z',
  files: [
    { key: 'a/fundus.png', exam: 'fundus', eye: 'OD', bytes: 10, url: 'https://s3/x?sig=1' },
    { key: 'b/fundus.png', exam: 'fundus', eye: 'OD', bytes: 10, url: 'https://s3/y?sig=1' },
    { key: 'c.png', exam: 'other', eye: null, url: 'https://s3/z?sig=1' },
  ],
  ...over,
});

describe('parseCaseFiles', () => {
  it('keeps exam, eye and url per file and drops keys, sizes and the case id', () => {
    const parsed = parseCaseFiles(answer({ caseId: 'CASE-9', reader: 'Owl-2' }));
    expect(parsed.label).toEqual({ kind: 'read', ref: 'R-1' });
    expect(parsed.reader).toBe('Owl-2');
    expect(parsed.files.map((f) => f.id)).toEqual(['fundus|OD|0', 'fundus|OD|1', 'other|-|0']);
    expect(JSON.stringify(parsed)).not.toMatch(/CASE-9|a\/fundus|"bytes"|"key"/);
  });

  it('labels an answer without a ref as an adjudication', () => {
    const { ref: _ref, ...rest } = answer({ caseId: 'CASE-9' });
    expect(parseCaseFiles(rest).label).toEqual({ kind: 'adjudication' });
  });

  it.each([
    ['no expiresAt', { expiresAt: undefined }],
    ['bad expiresAt', { expiresAt: 'soon' }],
    ['files not a list', { files: {} }],
    ['an eye that is not OD/OS', { files: [{ exam: 'oct', eye: 'OU', url: 'u' }] }],
    ['a file without url', { files: [{ exam: 'oct', eye: 'OD' }] }],
  ])('refuses %s as badAnswer', (_, over) => {
    expect(() => parseCaseFiles(answer(over))).toThrow(expect.objectContaining({ kind: 'badAnswer' }));
  });
});

describe('fetchCaseFiles', () => {
  const respond = (status: number, body: unknown) => (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;

  it('calls <base>/fleet/case-files with the session id', async () => {
    let called = '';
    const f = (async (url: string) => {
      called = url;
      return new Response(JSON.stringify(answer()), { status: 200 });
    }) as unknown as typeof fetch;
    await fetchCaseFiles('https://api.example/prod/', 'ab+c/d', f);
    expect(called).toBe('https://api.example/prod/fleet/case-files?sessionId=ab%2Bc%2Fd');
  });

  it.each([
    [403, 'forbidden'],
    [401, 'forbidden'],
    [400, 'badRequest'],
    [500, 'server'],
  ])('maps HTTP %i to %s', async (status, kind) => {
    await expect(fetchCaseFiles('b', 's', respond(status, {}))).rejects.toMatchObject({ kind, status });
  });

  it('reports a network failure and a body that is not JSON', async () => {
    await expect(fetchCaseFiles('b', 's', (async () => Promise.reject(new TypeError('offline'))) as unknown as typeof fetch)).rejects.toMatchObject({ kind: 'network' });
    await expect(fetchCaseFiles('b', 's', (async () => new Response('<html>', { status: 200 })) as unknown as typeof fetch)).rejects.toMatchObject({ kind: 'badAnswer' });
  });
});

describe('CaseFilesSession', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function files(expiresAt: number, tag: string): CaseFiles {
    return { label: { kind: 'read', ref: 'R' }, expiresAt, files: [{ id: 'oct|OD|0', exam: 'oct', eye: 'OD', url: `u-${tag}` }] };
  }

  it(`re-fetches ${REFRESH_MARGIN_MS / 1000} s before expiry, and shares one fetch between concurrent callers`, async () => {
    let n = 0;
    const s = new CaseFilesSession(async () => files(Date.now() + 300_000, String(++n)));
    await Promise.all([s.refresh(), s.refresh(), s.urlFor('oct|OD|0')]);
    expect(n).toBe(1);
    await jest.advanceTimersByTimeAsync(300_000 - REFRESH_MARGIN_MS - 1);
    expect(n).toBe(1);
    await jest.advanceTimersByTimeAsync(2);
    expect(n).toBe(2);
    expect(await s.urlFor('oct|OD|0')).toBe('u-2');
    s.stop();
  });

  it('stops renewing once told every file is loaded, and fetches first on the next need', async () => {
    let n = 0;
    const s = new CaseFilesSession(async () => files(Date.now() + 60_000, String(++n)));
    await s.refresh();
    s.keepFresh(false);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(n).toBe(1);
    expect(await s.urlFor('oct|OD|0')).toBe('u-2'); // expired by now: fetched again first
    s.stop();
  });

  it(`never re-fetches more often than every ${MIN_REFRESH_MS} ms, and fetches first when the URLs are about to die`, async () => {
    let n = 0;
    const s = new CaseFilesSession(async () => files(Date.now() + 500, String(++n)));
    await s.refresh();
    expect(await s.urlFor('oct|OD|0')).toBe('u-2'); // 500 ms left < MIN_REFRESH_MS: fetched again first
    await jest.advanceTimersByTimeAsync(MIN_REFRESH_MS - 1);
    expect(n).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(n).toBe(3);
    s.stop();
  });
});

describe('fetchFile', () => {
  it('re-fetches the URLs once on a 403 and tries again, then gives up', async () => {
    let answers = 0;
    const session = new CaseFilesSession(async () => ({ label: { kind: 'read', ref: 'R' }, expiresAt: Date.now() + 600_000, files: [{ id: 'f|OD|0', exam: 'f', eye: 'OD', url: `u${++answers}` }] }));
    const seen: string[] = [];
    const ok = (async (url: string) => {
      seen.push(url);
      return url === 'u1' ? new Response('expired', { status: 403 }) : new Response(new Uint8Array([1, 2]), { status: 200 });
    }) as unknown as typeof fetch;
    expect(Array.from(await fetchFile(session, 'f|OD|0', ok))).toEqual([1, 2]);
    expect(seen).toEqual(['u1', 'u2']);
    const refused = (async () => new Response('no', { status: 403 })) as unknown as typeof fetch;
    await expect(fetchFile(session, 'f|OD|0', refused)).rejects.toBeInstanceOf(CaseFilesError);
    expect(answers).toBe(3);
    session.stop();
  });
});

describe('readConfig', () => {
  const store = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
  };

  it('takes the config object first, then the fragment, then the query; base defaults to the origin', () => {
    const url = new URL('https://room.example/viewer/?sessionId=q&lang=en#sessionId=f&caseFilesBase=https%3A%2F%2Fapi.example');
    expect(readConfig(url, undefined, [], store()).config).toEqual({ sessionId: 'f', caseFilesBase: 'https://api.example', lang: 'en' });
    expect(readConfig(url, { sessionId: 'g' }, [], store()).config?.sessionId).toBe('g');
    expect(readConfig(new URL('https://room.example/viewer/?sessionId=q'), undefined, ['ko-KR'], store()).config).toEqual({ sessionId: 'q', caseFilesBase: 'https://room.example', lang: 'ko' });
  });

  it('keeps the session id for a reload, and leaves it and the route out of the address bar', () => {
    const s = store();
    readConfig(new URL('https://r.example/v/#sessionId=abc&caseFilesBase=https%3A%2F%2Fapi.example&lang=ko'), undefined, [], s);
    expect(readConfig(new URL('https://r.example/v/'), undefined, [], s).config).toEqual({ sessionId: 'abc', caseFilesBase: 'https://api.example', lang: 'en' });
    // A new session id without a route means the default route, not the stored one.
    expect(readConfig(new URL('https://r.example/v/#sessionId=def'), undefined, [], s).config?.caseFilesBase).toBe('https://r.example');
    expect(readConfig(new URL('https://r.example/v/'), undefined, [], store()).config).toBeUndefined();
    expect(withoutConfig(new URL('https://r.example/v/?sessionId=1&x=2#sessionId=abc&caseFilesBase=https%3A%2F%2Fapi&lang=ko'))).toBe('https://r.example/v/?x=2#lang=ko');
  });
});

describe('i18n', () => {
  it('has every key in both languages, with the same placeholders, and no English left in Korean', () => {
    const en = viewerMessages.en;
    const ko = viewerMessages.ko;
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect([key, holes(ko[key])]).toEqual([key, holes(en[key])]);
      if (!SAME_IN_BOTH.includes(key)) expect([key, ko[key]]).not.toEqual([key, en[key]]);
      expect(key.startsWith('viewer.')).toBe(true);
    }
  });

  it('fills placeholders and picks the first supported browser language', () => {
    expect(translate('ko', 'viewer.sliceOf', { n: 3, total: 9 })).toBe('단면 3 / 9');
    expect(pickLang(undefined, ['fr-FR', 'ko-KR', 'en'])).toBe('ko');
    expect(pickLang('en', ['ko'])).toBe('en');
    expect(pickLang(undefined, ['de'])).toBe('en');
  });
});

describe('keys', () => {
  it('maps each documented key to its action, and leaves browser shortcuts alone', () => {
    const press = (key: string, mods: Partial<KeyboardEvent> = {}) => actionFor({ key, ctrlKey: false, altKey: false, metaKey: false, ...mods });
    expect(press('+')).toBe('zoomIn');
    expect(press('_')).toBe('zoomOut');
    expect(press('ArrowUp')).toBe('panUp');
    expect(press('B')).toBe('darker');
    expect(press('PageDown')).toBe('nextSlice');
    expect(press('?')).toBe('help');
    expect(press('r', { ctrlKey: true })).toBeUndefined();
    expect(press('x')).toBeUndefined();
    const all = SHORTCUTS.flatMap((s) => s.keys);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('render', () => {
  it('maps through the window linearly (identity for 8-bit at 128/256), inverts, and clips', () => {
    const out = new Uint8ClampedArray(12);
    applyWindow(Float32Array.from([0, 100, 255]), false, { center: 128, width: 256 }, false, out);
    expect([out[0], out[4], out[8], out[11]]).toEqual([0, 100, 255, 255]);
    applyWindow(Float32Array.from([1000, 1500, 2000]), false, { center: 1500, width: 200 }, true, out);
    expect([out[0], out[4], out[8]]).toEqual([255, 127, 0]);
    const rgba = new Uint8ClampedArray([10, 20, 30, 255]);
    const o = new Uint8ClampedArray(4);
    applyWindow(rgba, true, { center: 128, width: 256 }, false, o);
    expect(Array.from(o)).toEqual([10, 20, 30, 255]);
  });

  it('finds a full-range window for frames without one', () => {
    expect(fullRange(Float32Array.from([100, 4095, 7]))).toEqual({ center: 2051.5, width: 4089 });
  });

  it('fits the image, and zooms about the pointer', () => {
    const image = { width: 200, height: 100 };
    const pane = { width: 400, height: 400 };
    expect(layout({ zoom: 1, panX: 0, panY: 0 }, image, pane)).toEqual({ scale: 2, x: 0, y: 100 });
    const v = zoomAt({ zoom: 1, panX: 0, panY: 0 }, 2, image, pane, 100, 150);
    const before = layout({ zoom: 1, panX: 0, panY: 0 }, image, pane);
    const after = layout(v, image, pane);
    // The image point under (100, 150) stays under it.
    expect((100 - before.x) / before.scale).toBeCloseTo((100 - after.x) / after.scale);
    expect((150 - before.y) / before.scale).toBeCloseTo((150 - after.y) / after.scale);
  });
});
