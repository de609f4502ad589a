/**
 * The image session beside a form: asks the API for a streaming URL and shows it, embedded when
 * the page has AWS's library (or the local shim), otherwise as a link that opens a new tab.
 *
 * Streaming URLs are short-lived (seconds to minutes, the study's setting). Embedded, the URL is
 * used at once; if the embed reports an error before the session started (typically a URL that
 * expired on the way) a new URL is issued once, automatically. As a link, the link is replaced by
 * "get a new link" when it expires. Leaving the page destroys the frame but leaves the AppStream
 * session running (the next case opens faster); "End the image session" and signing out end it.
 */
import { batch, signal } from '@preact/signals-core';
import { asApiError, type ApiError } from '../api/client';
import type { StreamingSession } from '../api/types';
import { hiddenElements, onStreamingDomain, type AppStreamGlobal, type EmbedInstance, type SessionErrorEvent, type SessionStateEvent } from './appstream';

export type StreamingStatus =
  | 'idle'
  | 'requesting'
  /** Embedded, waiting for the session to start. */
  | 'connecting'
  | 'started'
  | 'disconnected'
  | 'ended'
  /** A link to open in a new tab (no embed library). */
  | 'link'
  | 'linkExpired'
  | 'failed';

/** Why the session is not embedded. */
export type EmbedNotice = 'notConfigured' | 'scriptFailed';

export interface EmbedProvider {
  /** The library, or why there is none. */
  get(): Promise<{ appStream: AppStreamGlobal } | { notice: EmbedNotice }>;
}

export interface StreamingTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** Sessions on screen now: signing out ends them (a signed-out reader leaves no session running). */
const live = new Set<StreamingController>();

/** Ends every image session on screen (sign-out). */
export function endAllStreaming(): void {
  for (const c of [...live]) c.end();
}

export class StreamingController {
  readonly status = signal<StreamingStatus>('idle');
  readonly notice = signal<EmbedNotice | undefined>(undefined);
  readonly link = signal<string | undefined>(undefined);
  readonly failure = signal<ApiError | { code: 'embed'; message: string } | undefined>(undefined);

  private embed?: EmbedInstance;
  private observer?: MutationObserver;
  private expiryTimer: unknown;
  private reissued = false;
  private disposed = false;

  constructor(
    private readonly issue: () => Promise<StreamingSession>,
    private readonly provider: EmbedProvider,
    private readonly containerId: string,
    private readonly opts: { streamingDomain?: string; frameTitle?: string; timers?: StreamingTimers } = {},
  ) {}

  private get timers(): StreamingTimers {
    return this.opts.timers ?? { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number), now: () => Date.now() };
  }

  /** Issues a URL and shows the session. */
  async start(): Promise<void> {
    this.teardown();
    live.add(this);
    this.status.value = 'requesting';
    let session: StreamingSession;
    let lib: Awaited<ReturnType<EmbedProvider['get']>>;
    try {
      [session, lib] = await Promise.all([this.issue(), this.provider.get()]);
    } catch (e) {
      if (this.disposed) return;
      batch(() => {
        this.failure.value = asApiError(e);
        this.status.value = 'failed';
      });
      return;
    }
    if (this.disposed) return;
    const url = onStreamingDomain(session.streamingUrl, this.opts.streamingDomain);
    if ('notice' in lib) {
      batch(() => {
        this.notice.value = lib.notice;
        this.link.value = url;
        this.failure.value = undefined;
        this.status.value = 'link';
      });
      const left = Date.parse(session.expiresAt) - this.timers.now();
      this.expiryTimer = this.timers.setTimeout(() => {
        if (this.status.value === 'link') {
          this.link.value = undefined;
          this.status.value = 'linkExpired';
        }
      }, Math.max(0, left));
      return;
    }
    this.mount(lib.appStream, url);
  }

  private mount(appStream: AppStreamGlobal, url: string): void {
    const Embed = appStream.Embed;
    batch(() => {
      this.notice.value = undefined;
      this.link.value = undefined;
      this.failure.value = undefined;
      this.status.value = 'connecting';
    });
    try {
      this.embed = new Embed(this.containerId, { sessionURL: url, userInterfaceConfig: { [Embed.Options.HIDDEN_ELEMENTS]: hiddenElements(Embed) } });
    } catch (e) {
      batch(() => {
        this.failure.value = { code: 'embed', message: (e as Error).message };
        this.status.value = 'failed';
      });
      return;
    }
    const embed = this.embed;
    this.nameFrames();
    embed.addEventListener(Embed.Events.SESSION_STATE_CHANGE, (data) => {
      if (this.embed !== embed) return;
      const status = (data as SessionStateEvent)?.sessionStatus;
      const S = Embed.SessionStatus ?? {};
      if (status === S.Started) {
        this.reissued = false;
        this.status.value = 'started';
      } else if (status === S.Disconnected) this.status.value = 'disconnected';
      else if (status === S.Ended) this.status.value = 'ended';
    });
    embed.addEventListener(Embed.Events.SESSION_ERROR, (data) => {
      if (this.embed !== embed) return;
      const e = data as SessionErrorEvent;
      // Before the session started, the likely cause is a URL that expired on the way: one new URL.
      if (this.status.value === 'connecting' && !this.reissued) {
        this.reissued = true;
        void this.start();
        return;
      }
      batch(() => {
        this.failure.value = { code: 'embed', message: `${e?.errorCode ?? ''} ${e?.errorMessage ?? ''}`.trim() };
        this.status.value = 'failed';
      });
    });
  }

  /**
   * The library injects an iframe (when, is its business): each one gets the page's title for it,
   * so screen readers can name the frame.
   */
  private nameFrames(): void {
    const title = this.opts.frameTitle;
    const container = typeof document !== 'undefined' ? document.getElementById(this.containerId) : null;
    if (!container || !title) return;
    const name = () => container.querySelectorAll('iframe').forEach((f) => f.title || (f.title = title));
    name();
    this.observer?.disconnect();
    this.observer = new MutationObserver(name);
    this.observer.observe(container, { childList: true, subtree: true });
  }

  /** A new URL (after "ended", "disconnected", an expired link or a failure). */
  reconnect(): Promise<void> {
    this.reissued = false;
    return this.start();
  }

  /** Ends the AppStream session (the instance is released). */
  end(): void {
    this.embed?.endSession();
    if (!this.embed) this.teardown();
    this.status.value = 'ended';
  }

  /** Leaving the page: the frame goes, the session is left running. */
  dispose(): void {
    this.disposed = true;
    live.delete(this);
    this.teardown();
  }

  private teardown(): void {
    if (this.expiryTimer !== undefined) this.timers.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    const embed = this.embed;
    this.embed = undefined;
    this.observer?.disconnect();
    this.observer = undefined;
    embed?.destroy();
  }
}

/** The embed library as config.json says: the local shim, AWS's script at its path, or none. */
export function embedProvider(config: { embedShim?: boolean; embedScriptPath?: string }, load: (path: string) => Promise<AppStreamGlobal | undefined>, shim: () => AppStreamGlobal): EmbedProvider {
  let cached: Promise<{ appStream: AppStreamGlobal } | { notice: EmbedNotice }> | undefined;
  return {
    get() {
      cached ??= (async () => {
        if (config.embedShim) return { appStream: shim() };
        if (!config.embedScriptPath) return { notice: 'notConfigured' as const };
        const appStream = await load(config.embedScriptPath);
        return appStream ? { appStream } : { notice: 'scriptFailed' as const };
      })();
      return cached;
    },
  };
}
