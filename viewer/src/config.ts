/**
 * Where the viewer's configuration comes from, first match wins:
 * 1. `window.READROOM_VIEWER = { caseFilesBase, sessionId, lang }`, set by a page that embeds it
 *    (the streaming instance's launcher can write one);
 * 2. the URL fragment `#sessionId=…&caseFilesBase=…&lang=ko` (a fragment never reaches a server or
 *    its logs, so it is the place for the session id);
 * 3. the query string, same names.
 * `caseFilesBase` defaults to the page's own origin. Once read, the session id is kept in
 * sessionStorage (a reload still works) and, with the route, taken out of the address bar (nobody
 * reads them off the screen).
 */
import { pickLang, type Lang } from './i18n';

export interface ViewerConfig {
  caseFilesBase: string;
  sessionId: string;
  lang: Lang;
}

export type ConfigInput = Partial<Record<keyof ViewerConfig, string>>;

const STORAGE_KEY = 'readroom.viewer';

export function readConfig(
  url: URL,
  global: ConfigInput | undefined,
  languages: readonly string[],
  storage?: Pick<Storage, 'getItem' | 'setItem'>,
): { lang: Lang; config?: ViewerConfig } {
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const pick = (name: keyof ViewerConfig) => global?.[name] || fragment.get(name) || url.searchParams.get(name) || undefined;
  let stored: ConfigInput = {};
  try {
    stored = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}') as ConfigInput;
  } catch {
    stored = {};
  }
  const lang = pickLang(pick('lang'), languages);
  const fresh = pick('sessionId');
  // A new session id brings its own route (or none: the default); a reload reuses both.
  const sessionId = fresh ?? stored.sessionId;
  if (!sessionId) return { lang };
  const caseFilesBase = fresh ? pick('caseFilesBase') ?? url.origin : stored.caseFilesBase ?? url.origin;
  storage?.setItem(STORAGE_KEY, JSON.stringify({ sessionId, caseFilesBase }));
  return { lang, config: { caseFilesBase, sessionId, lang } };
}

/** The same URL without the session id and the route (query and fragment), for history.replaceState. */
export function withoutConfig(url: URL): string {
  const clean = new URL(url.href);
  const fragment = new URLSearchParams(clean.hash.replace(/^#/, ''));
  for (const name of ['sessionId', 'caseFilesBase']) {
    clean.searchParams.delete(name);
    fragment.delete(name);
  }
  clean.hash = fragment.toString();
  return clean.href;
}
