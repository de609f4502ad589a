/**
 * The built portal for browser tests, served by portal/serve.ts with a config.json, plus the check
 * that a Korean page shows no English. The build is the synth's (lib/build/portal-site.ts: the
 * same esbuild recipe, kept in the bundle cache keyed on the content of every file it reads), so
 * the browser files and `cdk synth` share one build until portal/ or domain/ changes.
 */
import type { Page } from 'playwright-core';
import { builtPortalDir } from '../../lib/build/portal-site';
import { startPortalServer, type PortalServeOptions, type PortalServer } from '../../portal/serve';
import { messages, SAME_IN_BOTH, type MessageKey } from '../../portal/src/i18n';

/** The portal's files (index.html, portal.js, portal.css). */
export function portalDist(): string {
  return builtPortalDir();
}

export async function servePortal(opts: PortalServeOptions | ((url: string) => PortalServeOptions)): Promise<PortalServer> {
  return startPortalServer(portalDist(), opts);
}

/**
 * What a Korean page shows in Latin letters that is not data: all text and accessible names,
 * minus what is marked as data (`translate="no"`: ids, codes, e-mails; `lang="en"`: the
 * server's own words, such as a rejected manifest's reasons) and the abbreviations clinics use as
 * they are. Also every English message of the portal's table found in the page.
 */
export async function untranslated(page: Page, allowed: RegExp[] = []): Promise<string[]> {
  const texts = await page.evaluate(() => {
    const out: string[] = [];
    const skip = (el: Element | null) => !!el?.closest('[translate="no"], [lang="en"], kbd, script, style, noscript, svg');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) if (!skip(n.parentElement)) out.push(n.textContent ?? '');
    document.querySelectorAll('[aria-label],[title],[placeholder]').forEach((e) => {
      if (!skip(e)) out.push(e.getAttribute('aria-label') ?? '', e.getAttribute('title') ?? '', e.getAttribute('placeholder') ?? '');
    });
    out.push(document.title.replace(/ – ReadRoom$/, ''));
    return out;
  });
  // Terms used untranslated in Korean ophthalmology and in the product.
  const terms = [/\bReadRoom\b/g, /\b(OD|OS|OCT|DR|DME|AMD|ARM|PED|ISNT|ISGEO|RNFL|RPE|cRORA|Beckman|KNHANES|CSV|JSON|UTC|QR|ID|mmHg|D)\b/g, /µm/g, ...allowed];
  const cleaned = texts.map((s) => terms.reduce((acc, re) => acc.replace(re, ''), s));
  const leftovers = cleaned.filter((s) => /[A-Za-z]{2,}/.test(s));
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const english = (Object.keys(messages.en) as MessageKey[])
    .filter((k) => !SAME_IN_BOTH.includes(k))
    .map((k) => messages.en[k].split(/\{\w+\}/)[0].trim())
    .filter((plain) => plain.length > 3 && cleaned.some((t) => new RegExp(`(^|\\W)${escape(plain)}(\\W|$)`).test(t)));
  return [...leftovers.map((s) => s.trim()), ...english.map((e) => `(English message) ${e}`)];
}
