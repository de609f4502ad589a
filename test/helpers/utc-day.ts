/**
 * The UTC day for tests that write audit events "now" and then look for them under their day (the
 * `AUDIT#<day>` partition, `GET /audit?day=`). Each event's day is its own `at`'s, so a test that
 * took the day on one side of midnight UTC and wrote its events on the other found none of them.
 * `utcDayClearOfMidnight` takes the day only when at least `marginMs` of it are left, waiting for
 * the next day otherwise (what `freshCode` does with a TOTP window, local/totp.ts): the writes that
 * follow within the margin fall on the day it returns, however slow the machine.
 */

const DAY_MS = 86_400_000;

/** The UTC day (YYYY-MM-DD) of a moment. */
export const utcDay = (atMs: number = Date.now()): string => new Date(atMs).toISOString().slice(0, 10);

/** Today's UTC day, once at least `marginMs` of it are left (waiting past midnight when fewer are). */
export async function utcDayClearOfMidnight(marginMs = 30_000): Promise<string> {
  const left = DAY_MS - (Date.now() % DAY_MS);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 200));
  return utcDay();
}
