/**
 * Where the viewer's configuration comes from, first match wins:
 * 1. `window.READROOM_VIEWER = { caseFilesBase, sessionId, lang }`, set by a page that embeds it
 *    (the streaming instance's launcher can write one);
 * 2. the URL fragment `#sessionId=…&caseFilesBase=…&lang=ko` (a fragment never reaches a server or
 *    its logs, so it is the place for the session id);
 * 3. the query string, same names.
 * `caseFilesBase` defaults to the page's own origin. Once read, the session id is kept in
 * sessionStorage (a reload still works) and taken out of the address bar (nobody reads it off the
 * screen).
 */
import { pickLang, type Lang } from './i18n';

export interface ViewerConfig {
  caseFilesBase: string;
  sessionId: string;
  lang: Lang;
}

export type ConfigInput = Partial<Record<keyof ViewerConfig, string>>;

const STORAGE_KEY = 'readroom.viewer.sessionId';

export function readConfig(
  url: URL,
  global: ConfigInput | undefined,
  languages: readonly string[],
  storage?: Pick<Storage, 'getItem' | 'setItem'>,
): { lang: Lang; config?: ViewerConfig } {
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const pick = (name: keyof ViewerConfig) => global?.[name] || fragment.get(name) || url.searchParams.get(name) || undefined;
  const sessionId = pick('sessionId') ?? storage?.getItem(STORAGE_KEY) ?? undefined;
  const lang = pickLang(pick('lang'), languages);
  if (!sessionId) return { lang };
  storage?.setItem(STORAGE_KEY, sessionId);
  return { lang, config: { caseFilesBase: pick('caseFilesBase') ?? url.origin, sessionId, lang } };
}

/** The same URL without the session id (fragment and query), for history.replaceState. */
export function withoutSessionId(url: URL): string {
  const clean = new URL(url.href);
  clean.searchParams.delete('sessionId');
  const fragment = new URLSearchParams(clean.hash.replace(/^#/, ''));
  fragment.delete('sessionId');
  clean.hash = fragment.toString();
  return clean.href;
}
