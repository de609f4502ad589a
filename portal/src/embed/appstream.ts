/**
 * AWS's embedded-session library behind one surface. AWS ships `appstream-embed.js` only in its
 * embed kit (a zip on the AppStream documentation page), not on npm: the operator copies the file
 * to the portal's site at deploy time and names its path in config.json (`embedScriptPath`); the
 * portal loads it from there. Its surface, as documented ("Constants, Functions, and Events for
 * Embedded AppStream 2.0 Streaming Sessions"):
 *
 *   new AppStream.Embed(containerId, { sessionURL, userInterfaceConfig: { [Options.HIDDEN_ELEMENTS]: [...] } })
 *   .addEventListener(AppStream.Embed.Events.SESSION_STATE_CHANGE | SESSION_INTERFACE_STATE_CHANGE | SESSION_ERROR, cb)
 *   .endSession()  .getSessionState()  .destroy()
 *
 * The local room has no AWS script: `createShim()` gives the same surface over an iframe of the
 * streaming URL (the AppStream stand-in's page, which opens the viewer), so the page code is the
 * same in both.
 */

export interface EmbedOptions {
  sessionURL: string;
  userInterfaceConfig?: Record<string, unknown>;
}

export interface SessionStateEvent {
  sessionStatus?: string;
  sessionTerminationReason?: string;
  sessionDisconnectionReason?: string;
}

export interface SessionErrorEvent {
  errorCode?: number;
  errorMessage?: string;
}

export interface EmbedInstance {
  addEventListener(name: string, callback: (data: unknown) => void): void;
  removeEventListener(name: string, callback: (data: unknown) => void): void;
  endSession(): void;
  getSessionState(): unknown;
  destroy(): void;
}

export interface EmbedConstructor {
  new (containerId: string, options: EmbedOptions): EmbedInstance;
  Events: { SESSION_STATE_CHANGE: string; SESSION_INTERFACE_STATE_CHANGE: string; SESSION_ERROR: string };
  Elements: Record<string, string>;
  Options: { HIDDEN_ELEMENTS: string };
  SessionStatus: Record<string, string>;
}

export interface AppStreamGlobal {
  Embed: EmbedConstructor;
}

/**
 * The toolbar buttons the reading room hides: files (persistent storage), the clipboard and both
 * copy/paste directions. The stack's user settings disable the transfers themselves; hiding the
 * buttons keeps readers from trying.
 */
export const HIDDEN_BUTTONS = ['FILES_BUTTON', 'CLIPBOARD_BUTTON', 'COPY_LOCAL_BUTTON', 'PASTE_REMOTE_BUTTON'] as const;

export function hiddenElements(embed: EmbedConstructor): string[] {
  return HIDDEN_BUTTONS.map((name) => embed.Elements?.[name]).filter((v): v is string => typeof v === 'string');
}

/** A global that has the surface the portal needs, or undefined. */
export function asAppStream(value: unknown): AppStreamGlobal | undefined {
  const embed = (value as { Embed?: unknown } | undefined)?.Embed as (((...a: unknown[]) => unknown) & Partial<Pick<EmbedConstructor, 'Events' | 'Options'>>) | undefined;
  if (typeof embed !== 'function' || !embed.Events?.SESSION_STATE_CHANGE || !embed.Options?.HIDDEN_ELEMENTS) return undefined;
  return value as AppStreamGlobal;
}

/**
 * Loads AWS's script from a path on this site and returns its `AppStream` global, or undefined
 * when the file is missing, fails, or does not define the surface (the portal then opens the
 * session in a new tab and says why).
 */
export function loadAppStreamScript(path: string, doc: Document = document, timeoutMs = 15_000): Promise<AppStreamGlobal | undefined> {
  const already = asAppStream((doc.defaultView as unknown as { AppStream?: unknown })?.AppStream);
  if (already) return Promise.resolve(already);
  return new Promise((resolve) => {
    const script = doc.createElement('script');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok ? asAppStream((doc.defaultView as unknown as { AppStream?: unknown })?.AppStream) : undefined);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    script.src = path;
    script.async = true;
    script.onload = () => done(true);
    script.onerror = () => done(false);
    doc.head.appendChild(script);
  });
}

const SHIM_EVENTS = { SESSION_STATE_CHANGE: 'sessionStateChange', SESSION_INTERFACE_STATE_CHANGE: 'sessionInterfaceStateChange', SESSION_ERROR: 'sessionError' };
const SHIM_STATUS = { Unknown: 'Unknown', Reserved: 'Reserved', Started: 'Started', Disconnected: 'Disconnected', Ended: 'Ended' };
const SHIM_ELEMENTS = Object.fromEntries(
  ['TOOLBAR', 'FULLSCREEN_BUTTON', 'END_SESSION_BUTTON', 'CATALOG_BUTTON', 'WINDOW_SWITCHER_BUTTON', 'FILES_BUTTON', 'CLIPBOARD_BUTTON', 'COPY_LOCAL_BUTTON', 'PASTE_REMOTE_BUTTON', 'SETTINGS_BUTTON', 'STREAMING_MODE_BUTTON', 'SCREEN_RESOLUTION_BUTTON', 'REGIONAL_SETTINGS_BUTTON'].map((n) => [n, n.toLowerCase()]),
);

/**
 * The local room's stand-in for AWS's library: the same constructor, constants, events and
 * functions, over an iframe of the streaming URL. It reports `Started` when the frame has loaded,
 * `Ended` after endSession(), and the hidden elements it was given (it has no toolbar to hide them
 * from).
 */
export function createShim(doc: Document = document): AppStreamGlobal {
  class ShimEmbed implements EmbedInstance {
    static Events = SHIM_EVENTS;
    static Elements = SHIM_ELEMENTS;
    static Options = { HIDDEN_ELEMENTS: 'hiddenElements' };
    static SessionStatus = SHIM_STATUS;

    private readonly listeners = new Map<string, Set<(data: unknown) => void>>();
    private readonly frame: HTMLIFrameElement;
    private status = SHIM_STATUS.Unknown;

    constructor(containerId: string, options: EmbedOptions) {
      const container = doc.getElementById(containerId);
      if (!container) throw new Error(`AppStream.Embed: no element #${containerId}`);
      if (!options?.sessionURL) throw new Error('AppStream.Embed: sessionURL is required');
      const hidden = (options.userInterfaceConfig?.[ShimEmbed.Options.HIDDEN_ELEMENTS] as string[] | undefined) ?? [];
      this.frame = doc.createElement('iframe');
      this.frame.dataset.embed = 'shim';
      this.frame.dataset.hiddenElements = hidden.join(',');
      this.frame.referrerPolicy = 'no-referrer';
      this.frame.addEventListener('load', () => {
        if (this.status === SHIM_STATUS.Unknown) this.setStatus(SHIM_STATUS.Started);
      });
      this.frame.src = options.sessionURL;
      container.appendChild(this.frame);
      queueMicrotask(() => this.emit(SHIM_EVENTS.SESSION_INTERFACE_STATE_CHANGE, { hiddenElements: hidden, isFullscreen: false, isSoftKeyboardVisible: false }));
    }

    addEventListener(name: string, callback: (data: unknown) => void): void {
      if (!this.listeners.has(name)) this.listeners.set(name, new Set());
      this.listeners.get(name)!.add(callback);
    }

    removeEventListener(name: string, callback: (data: unknown) => void): void {
      this.listeners.get(name)?.delete(callback);
    }

    endSession(): void {
      this.frame.src = 'about:blank';
      this.setStatus(SHIM_STATUS.Ended, 'ended by the portal');
    }

    getSessionState(): SessionStateEvent {
      return { sessionStatus: this.status };
    }

    destroy(): void {
      this.frame.remove();
      this.listeners.clear();
    }

    private setStatus(status: string, reason?: string): void {
      this.status = status;
      this.emit(SHIM_EVENTS.SESSION_STATE_CHANGE, { sessionStatus: status, ...(reason ? { sessionTerminationReason: reason } : {}) });
    }

    private emit(name: string, data: unknown): void {
      for (const cb of this.listeners.get(name) ?? []) cb(data);
    }
  }
  return { Embed: ShimEmbed };
}

/**
 * A streaming URL on the custom streaming domain, when one is configured: AWS's host
 * (`appstream2.<region>.aws.amazon.com`) is replaced; any other URL (the local stand-in's) is
 * left as it is.
 */
export function onStreamingDomain(url: string, domain: string | undefined): string {
  if (!domain) return url;
  const parsed = new URL(url);
  if (!/^appstream2\.[a-z0-9-]+\.aws\.amazon\.com$/.test(parsed.hostname)) return url;
  parsed.hostname = domain;
  return parsed.toString();
}
