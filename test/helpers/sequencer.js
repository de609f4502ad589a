/**
 * The order of the test files: files that failed last time first (jest's rule), then the long
 * files by the seconds recorded below, then the rest in jest's own order (by the last run's times,
 * or by size on a clean clone), arranged so that no two browser files run side by side: a browser
 * file (its Chromium and its jest worker) keeps well over one of the two cores busy, and two side
 * by side slowed each other's files by 15–50 % (docs/benchmarks.md, "Test suite wall time", round 4).
 *
 * Jest hands the next file in this list to whichever worker is free first, so the list is made by
 * playing that out with the recorded seconds: when a worker comes free while the other one runs a
 * browser file, it is given the first file that is not one. (The round-4 order only alternated
 * browser and other files; with real lengths two browser files still overlapped for 20 s a run.)
 *
 * Why recorded seconds rather than jest's times from the last run: those change from run to run,
 * and with them which files run side by side, which moved the whole run by ± 15 s; a clean clone
 * has none, and its order by size put the longest files (a short file of 1,000 generated
 * requests, the cfn-lint run) near the end. Only the order depends on these figures: a stale one
 * costs time, never a test.
 */
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** Seconds per file on the quiet 2-core machine (files of 2.5 s or more; round 6's run after the merges). */
const RECORDED_SECONDS = {
  'test/browser/portal-reader.test.ts': 27,
  'test/infra/cfn-lint.test.ts': 25,
  'test/browser/room.test.ts': 25,
  'test/lambda/reader-api/properties.test.ts': 18,
  'test/infra/synth-command.test.ts': 15,
  'test/browser/viewer.test.ts': 15,
  'test/browser/portal-staff.test.ts': 13,
  'test/lambda/reader-api/concurrency.test.ts': 12,
  'test/lambda/export-worker/resume.test.ts': 11,
  'test/lambda/faults.test.ts': 9,
  'test/lambda/coordinator-api/handler.test.ts': 8,
  'test/lambda/adjudication-api/handler.test.ts': 7,
  'test/cli/ingest/ingest.test.ts': 6,
  'test/browser/portal-signin.test.ts': 6,
  'test/lambda/reader-api/handler.test.ts': 4,
  'test/lambda/authz-matrix.test.ts': 4,
  'test/lambda/register-case/handler.test.ts': 4,
  'test/cli/readroom.test.ts': 3,
  'test/lambda/export-worker/worker.test.ts': 3,
  'test/lambda/case-files/handler.test.ts': 3,
  'test/lambda/moto-server.test.ts': 3,
  'test/lambda/coordinator-api/withdraw.test.ts': 3,
  'test/lambda/store/store.test.ts': 3,
};
/** What a file with no recorded figure is taken to last. */
const SHORT_FILE_SECONDS = 1;
const WORKERS = 2;

class BrowserFilesApart extends Sequencer {
  sort(tests) {
    const recorded = (t) => RECORDED_SECONDS[relative(t.context.config.rootDir, t.path).split('\\').join('/')];
    const jestOrder = super.sort(tests);
    const failed = jestOrder.filter((t) => this.hasFailed(t));
    // Stable: files with no recorded figure keep jest's order.
    const waiting = [...failed, ...jestOrder.filter((t) => !this.hasFailed(t)).sort((a, b) => (recorded(b) ?? 0) - (recorded(a) ?? 0))];
    const isBrowser = (t) => t.context.config.displayName?.name === 'browser';
    const workers = Array.from({ length: WORKERS }, () => ({ freeAt: 0, browser: false }));
    const out = [];
    while (waiting.length > 0) {
      const next = workers.reduce((a, b) => (b.freeAt < a.freeAt ? b : a));
      const browserBeside = workers.some((w) => w !== next && w.browser && w.freeAt > next.freeAt);
      const at = browserBeside ? Math.max(0, waiting.findIndex((t) => !isBrowser(t))) : 0;
      const [test] = waiting.splice(at, 1);
      out.push(test);
      next.freeAt += recorded(test) ?? SHORT_FILE_SECONDS;
      next.browser = isBrowser(test);
    }
    return out;
  }
}

module.exports = BrowserFilesApart;
