/**
 * The image session beside the form: which library is used (the local shim, AWS's script at its
 * configured path, or none: a new tab), what is passed to AWS's constructor (the streaming URL on
 * the custom domain, the hidden buttons by the library's own constants), what its events do, and
 * the re-issue of an expired URL. The shim itself (it needs a DOM) is in the browser tests.
 */
import type { StreamingSession } from '../../portal/src/api/types';
import { asAppStream, hiddenElements, HIDDEN_BUTTONS, onStreamingDomain, type AppStreamGlobal, type EmbedOptions } from '../../portal/src/embed/appstream';
import { embedProvider, endAllStreaming, StreamingController } from '../../portal/src/embed/streaming';
import { FakeTimers } from '../helpers/fake-time';
import { ApiError } from '../../portal/src/api/client';

/** A library with AWS's documented surface whose constants differ from the shim's. */
function fakeAws() {
  const made: Array<{ containerId: string; options: EmbedOptions; listeners: Map<string, (d: unknown) => void>; ended: boolean; destroyed: boolean }> = [];
  class Embed {
    static Events = { SESSION_STATE_CHANGE: 'ssc', SESSION_INTERFACE_STATE_CHANGE: 'sisc', SESSION_ERROR: 'se' };
    static Elements = { TOOLBAR: 'tb', FILES_BUTTON: 'files', CLIPBOARD_BUTTON: 'clip', COPY_LOCAL_BUTTON: 'copy', PASTE_REMOTE_BUTTON: 'paste', END_SESSION_BUTTON: 'end' };
    static Options = { HIDDEN_ELEMENTS: 'hidden' };
    static SessionStatus = { Started: 'S', Disconnected: 'D', Ended: 'E', Reserved: 'R', Unknown: 'U' };
    record: (typeof made)[number];
    constructor(containerId: string, options: EmbedOptions) {
      this.record = { containerId, options, listeners: new Map(), ended: false, destroyed: false };
      made.push(this.record);
    }
    addEventListener(name: string, cb: (d: unknown) => void) {
      this.record.listeners.set(name, cb);
    }
    removeEventListener() {}
    endSession() {
      this.record.ended = true;
    }
    getSessionState() {
      return {};
    }
    destroy() {
      this.record.destroyed = true;
    }
  }
  return { lib: { Embed } as unknown as AppStreamGlobal, made };
}

function issuer(timers: FakeTimers) {
  let n = 0;
  const issued: StreamingSession[] = [];
  const issue = async () => {
    const s = { streamingUrl: `https://appstream2.ap-northeast-2.aws.amazon.com/authenticate?parameters=p${++n}`, expiresAt: new Date(timers.now() + 60_000).toISOString() };
    issued.push(s);
    return s;
  };
  return { issue, issued };
}

describe('the embed library', () => {
  it('is the shim locally, AWS’s script from its path when configured, and none otherwise (said why)', async () => {
    const { lib } = fakeAws();
    const shim = { Embed: lib.Embed } as AppStreamGlobal;
    const loads: string[] = [];
    const load = async (path: string) => {
      loads.push(path);
      return path === '/vendor/appstream-embed.js' ? lib : undefined;
    };
    await expect(embedProvider({ embedShim: true, embedScriptPath: '/vendor/appstream-embed.js' }, load, () => shim).get()).resolves.toEqual({ appStream: shim });
    expect(loads).toEqual([]);
    const aws = embedProvider({ embedScriptPath: '/vendor/appstream-embed.js' }, load, () => shim);
    await expect(aws.get()).resolves.toEqual({ appStream: lib });
    await aws.get();
    expect(loads).toEqual(['/vendor/appstream-embed.js']); // loaded once
    await expect(embedProvider({ embedScriptPath: '/vendor/missing.js' }, load, () => shim).get()).resolves.toEqual({ notice: 'scriptFailed' });
    await expect(embedProvider({}, load, () => shim).get()).resolves.toEqual({ notice: 'notConfigured' });
  });

  it('accepts only a global with the surface the portal uses', () => {
    expect(asAppStream(fakeAws().lib)).toBeDefined();
    expect(asAppStream({ Embed: function Embed() {} })).toBeUndefined();
    expect(asAppStream(undefined)).toBeUndefined();
  });

  it("hides the files, clipboard and copy/paste buttons by the library's own constants", () => {
    expect(HIDDEN_BUTTONS).toEqual(['FILES_BUTTON', 'CLIPBOARD_BUTTON', 'COPY_LOCAL_BUTTON', 'PASTE_REMOTE_BUTTON']);
    expect(hiddenElements(fakeAws().lib.Embed)).toEqual(['files', 'clip', 'copy', 'paste']);
  });

  it('moves AWS streaming URLs to the custom streaming domain, and leaves other URLs alone', () => {
    expect(onStreamingDomain('https://appstream2.ap-northeast-2.aws.amazon.com/authenticate?parameters=abc', 'stream.portal.example.org')).toBe('https://stream.portal.example.org/authenticate?parameters=abc');
    expect(onStreamingDomain('http://127.0.0.1:4000/stream/abc', 'stream.portal.example.org')).toBe('http://127.0.0.1:4000/stream/abc');
    expect(onStreamingDomain('https://appstream2.ap-northeast-2.aws.amazon.com/x', undefined)).toBe('https://appstream2.ap-northeast-2.aws.amazon.com/x');
  });
});

describe('StreamingController', () => {
  it("embeds the session: AWS's constructor gets the container, the URL on the custom domain and the hidden buttons", async () => {
    const timers = new FakeTimers();
    const { lib, made } = fakeAws();
    const { issue } = issuer(timers);
    const c = new StreamingController(issue, { get: async () => ({ appStream: lib }) }, 'read-embed', { streamingDomain: 'stream.portal.example.org', timers });
    await c.start();
    expect(made[0].containerId).toBe('read-embed');
    expect(made[0].options).toEqual({ sessionURL: 'https://stream.portal.example.org/authenticate?parameters=p1', userInterfaceConfig: { hidden: ['files', 'clip', 'copy', 'paste'] } });
    expect(c.status.value).toBe('connecting');
    made[0].listeners.get('ssc')!({ sessionStatus: 'S' });
    expect(c.status.value).toBe('started');
    made[0].listeners.get('ssc')!({ sessionStatus: 'D' });
    expect(c.status.value).toBe('disconnected');
    made[0].listeners.get('ssc')!({ sessionStatus: 'E' });
    expect(c.status.value).toBe('ended');
  });

  it('issues a new URL once when the embed fails before the session started, then reports a second failure', async () => {
    const timers = new FakeTimers();
    const { lib, made } = fakeAws();
    const { issue, issued } = issuer(timers);
    const c = new StreamingController(issue, { get: async () => ({ appStream: lib }) }, 'e', { timers });
    await c.start();
    made[0].listeners.get('se')!({ errorCode: 401, errorMessage: 'expired' });
    await new Promise((r) => setImmediate(r));
    expect(issued).toHaveLength(2);
    expect(made[0].destroyed).toBe(true);
    expect(made[1].options.sessionURL).toContain('parameters=p2');
    made[1].listeners.get('se')!({ errorCode: 401, errorMessage: 'expired' });
    expect(c.status.value).toBe('failed');
    expect(c.failure.value).toEqual({ code: 'embed', message: '401 expired' });
    await c.reconnect();
    expect(issued).toHaveLength(3);
  });

  it('ends the AppStream session on request; leaving the page only removes the frame', async () => {
    const timers = new FakeTimers();
    const { lib, made } = fakeAws();
    const c = new StreamingController(issuer(timers).issue, { get: async () => ({ appStream: lib }) }, 'e', { timers });
    await c.start();
    c.end();
    expect(made[0].ended).toBe(true);
    expect(c.status.value).toBe('ended');
    const d = new StreamingController(issuer(timers).issue, { get: async () => ({ appStream: lib }) }, 'e', { timers });
    await d.start();
    d.dispose();
    expect([made[1].ended, made[1].destroyed]).toEqual([false, true]);
  });

  it('ends every session on screen at sign-out, but not one whose page was left', async () => {
    const timers = new FakeTimers();
    const { lib, made } = fakeAws();
    const shown = new StreamingController(issuer(timers).issue, { get: async () => ({ appStream: lib }) }, 'a', { timers });
    const left = new StreamingController(issuer(timers).issue, { get: async () => ({ appStream: lib }) }, 'b', { timers });
    await shown.start();
    await left.start();
    left.dispose();
    endAllStreaming();
    expect(made.map((m) => [m.containerId, m.ended])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    shown.dispose();
  });

  it('without a library gives a link for a new tab, says why, and replaces it when it expires', async () => {
    const timers = new FakeTimers();
    const { issue, issued } = issuer(timers);
    const c = new StreamingController(issue, { get: async () => ({ notice: 'notConfigured' }) }, 'e', { timers, streamingDomain: 'stream.portal.example.org' });
    await c.start();
    expect([c.status.value, c.notice.value, c.link.value]).toEqual(['link', 'notConfigured', 'https://stream.portal.example.org/authenticate?parameters=p1']);
    await timers.advance(59_999);
    expect(c.status.value).toBe('link');
    await timers.advance(1);
    expect([c.status.value, c.link.value]).toEqual(['linkExpired', undefined]);
    await c.reconnect();
    expect([c.status.value, issued.length]).toEqual(['link', 2]);
  });

  it("reports the API's refusal to issue a session", async () => {
    const c = new StreamingController(async () => Promise.reject(new ApiError(503, 'streaming_unavailable', 'x')), { get: async () => ({ notice: 'notConfigured' }) }, 'e', { timers: new FakeTimers() });
    await c.start();
    expect(c.status.value).toBe('failed');
    expect(c.failure.value).toMatchObject({ status: 503, code: 'streaming_unavailable' });
  });
});
