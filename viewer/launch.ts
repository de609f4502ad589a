/**
 * How a streaming session opens the viewer: the session id ReadRoom issued travels as AppStream's
 * SessionContext, and the viewer takes it from the URL fragment. The streaming instance's launcher
 * will build the same URL from `APPSTREAM_SESSION_CONTEXT`; locally, the AppStream stand-in's page
 * forwards to it (`startAppStreamStandIn({ viewer: standInViewerPage(…) })`).
 */

export interface ViewerLink {
  sessionId?: string;
  /** Where `/fleet/case-files` is served; the viewer defaults to its own origin. */
  caseFilesBase?: string;
  lang?: 'en' | 'ko';
}

/** `<viewerBase>#sessionId=…&caseFilesBase=…&lang=…` (a fragment: never sent to a server). */
export function viewerUrl(viewerBase: string, link: ViewerLink): string {
  const fragment = new URLSearchParams();
  for (const [k, v] of Object.entries(link)) if (v) fragment.set(k, v);
  return `${viewerBase.split('#')[0]}#${fragment.toString()}`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The AppStream stand-in's `viewer` option: the page a streaming URL opens forwards to the viewer
 * with that session's context as the session id. No script (a meta refresh), and a link as a
 * fallback.
 */
export function standInViewerPage(viewerBase: string, caseFilesBase: string, lang?: 'en' | 'ko'): (session: { SessionContext?: string }) => string {
  return (session) => {
    const target = esc(viewerUrl(viewerBase, { sessionId: session.SessionContext, caseFilesBase, lang }));
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${target}"><title>ReadRoom viewer</title></head><body><p><a href="${target}">Open the viewer</a></p></body></html>`;
  };
}
