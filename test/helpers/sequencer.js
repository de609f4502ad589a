/**
 * Jest's own order (files that failed last time first, then the longest by the last run's times, or
 * the largest on a clean clone), with the browser files spread out so that each runs beside a
 * moto or synth file rather than another browser file: one Chromium keeps about 1.4 of the two
 * cores busy, and two side by side slowed each other's files by 15–50 % (docs/benchmarks.md, "Test
 * suite wall time", round 4). Jest hands the next file in this list to whichever worker is free.
 */
const Sequencer = require('@jest/test-sequencer').default;

class BrowserFilesApart extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
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
