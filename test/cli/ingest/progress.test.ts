/** The progress line: its count is what S3 acknowledged; bytes still on their way are shown beside it. */
import { Progress, formatBytes } from '../../../cli/ingest/progress';

test('bytes in flight are shown beside the count, never in it, and go when they arrive or their attempt ends', () => {
  const total = 10_000_000;
  const p = new Progress(total, 2, undefined);
  const count = (done: number) => `${formatBytes(done)} / ${formatBytes(total)}`;
  p.sending(4_000_000);
  expect(p.line()).toContain(`${count(0)} (+${formatBytes(4_000_000)} sending)`);
  // The attempt failed: it takes back what it showed.
  p.sending(-4_000_000);
  expect(p.line()).toContain(`${count(0)}  `);
  // Sent again and acknowledged: counted once.
  p.sending(4_000_000);
  p.sending(-4_000_000);
  p.bytes(4_000_000);
  expect(p.line()).toContain(`${count(4_000_000)}  `);
  expect(p.line()).not.toContain('sending');
});
