/**
 * Entering a TOTP code in the portal's sign-in (test/browser/room.test.ts, portal-signin.test.ts)
 * without waiting out most of a 30-s window: the code is taken when the code field is there, so only
 * the fill and one request stand between it and moto's check, and a window that turns on the way
 * (a busy machine) earns one more try with the new window's code, as a person would do. A code
 * refused within its own window is never retried: the test fails, naming it.
 */
import type { Page } from 'playwright-core';
import { freshCodeInWindow, MOTO_TOTP_SECRET, totpWindow } from '../../local/totp';

/** The sign-in's code fields: enrolment's and the sign-in's own (portal/src/pages/sign-in.tsx). */
const CODE_FIELD = '#setup-code, #totp-code';
/** Seconds a code must stay valid once the field is there: a fill, a click and one request. */
const MARGIN_SECONDS = 2;

/** The step's answer: the code step left (accepted), or an error shown on it once it is no longer busy. */
async function outcome(page: Page): Promise<'accepted' | 'refused'> {
  const handle = await page.waitForFunction((selector) => {
    const field = document.querySelector(selector);
    if (!field) return 'accepted';
    const form = field.closest('form');
    if (!form || form.querySelector('button[aria-busy="true"]')) return false;
    return form.querySelector('[role="alert"]') ? 'refused' : false;
  }, CODE_FIELD);
  return (await handle.jsonValue()) as 'accepted' | 'refused';
}

/**
 * Types the current code of `secret` (moto's by default) into the code field and sends it with
 * `submit` (Enter, or the Verify button); resolves once the portal has accepted it.
 */
export async function enterTotpCode(page: Page, submit: () => Promise<void>, secret: string = MOTO_TOTP_SECRET): Promise<void> {
  const field = page.locator(CODE_FIELD);
  await field.waitFor();
  const first = await freshCodeInWindow(secret, MARGIN_SECONDS);
  await field.fill(first.code);
  await submit();
  if ((await outcome(page)) === 'accepted') return;
  if (totpWindow() === first.window) throw new Error(`the code ${first.code} was refused within its own 30-s window`);
  await field.fill((await freshCodeInWindow(secret, MARGIN_SECONDS)).code);
  await submit();
  if ((await outcome(page)) !== 'accepted') throw new Error(`the code was refused twice (${first.code}, then the next window's)`);
}
