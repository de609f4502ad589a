/**
 * The order of the test files: files that failed last time first (jest's rule), then the long
 * files by the seconds recorded below, then the rest in jest's own order (by the last run's times,
 * or by size on a clean clone). Then the browser files spread out, so that each runs beside a moto
 * or synth file rather than another browser file: one Chromium keeps about 1.4 of the two cores
 * busy, and two side by side slowed each other's files by 15–50 % (docs/benchmarks.md, "Test
 * suite wall time", round 4). Jest hands the next file in this list to whichever worker is free.
 *
 * Why recorded seconds rather than jest's times from the last run: those change from run to run,
 * and with them which files run side by side, which moved the whole run by ± 15 s; a clean clone
 * has none, and its order by size put the longest files (a short file of 1,000 generated
 * requests, the cfn-lint run) near the end. Only the order depends on these figures: a stale one
 * costs time, never a test.
 */
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** Seconds per file on the quiet 2-core machine (files of 5 s or more; round 4's run). */
const RECORDED_SECONDS = {
  'test/infra/cfn-lint.test.ts': 37,
  'test/lambda/reader-api/concurrency.test.ts': 34,
  'test/browser/portal-reader.test.ts': 31,
  'test/browser/room.test.ts': 28,
  'test/browser/viewer.test.ts': 23,
  'test/lambda/reader-api/properties.test.ts': 22,
  'test/browser/portal-staff.test.ts': 22,
  'test/lambda/adjudication-api/handler.test.ts': 19,
  'test/infra/synth-command.test.ts': 17,
  'test/browser/portal-signin.test.ts': 13,
  'test/lambda/faults.test.ts': 10,
  'test/lambda/coordinator-api/handler.test.ts': 10,
  'test/lambda/export-worker/resume.test.ts': 9,
  'test/browser/axe.test.ts': 5,
  'test/lambda/register-case/handler.test.ts': 5,
  'test/lambda/reader-api/handler.test.ts': 5,
  'test/lambda/export-worker/worker.test.ts': 5,
};

class BrowserFilesApart extends Sequencer {
  sort(tests) {
    const recorded = (t) => RECORDED_SECONDS[relative(t.context.config.rootDir, t.path).split('\\').join('/')] ?? 0;
    const jestOrder = super.sort(tests);
    const failed = jestOrder.filter((t) => this.hasFailed(t));
    // Stable: files with no recorded figure keep jest's order.
    const ordered = [...failed, ...jestOrder.filter((t) => !this.hasFailed(t)).sort((a, b) => recorded(b) - recorded(a))];
    const isBrowser = (t) => t.context.config.displayName?.name === 'browser';
    const browser = ordered.filter(isBrowser);
    const rest = ordered.filter((t) => !isBrowser(t));
    const out = [];
    while (browser.length > 0 || rest.length > 0) {
      if (browser.length > 0) out.push(browser.shift());
      if (rest.length > 0) out.push(rest.shift());
    }
    return out;
  }
}

module.exports = BrowserFilesApart;
