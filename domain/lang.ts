/**
 * The languages a study's people read in: every label is Korean and English (form/schema.ts), and
 * the portal and the viewer choose between them the same way.
 */
export type Lang = 'en' | 'ko';

/** The first supported language among the one asked for and the browser's preferences, English otherwise. */
export function pickLang(requested: string | null | undefined, preferred: readonly string[]): Lang {
  for (const tag of [requested, ...preferred]) {
    const base = tag?.toLowerCase().split('-')[0];
    if (base === 'ko' || base === 'en') return base;
  }
  return 'en';
}
