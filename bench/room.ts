/**
 * The local reading room (issue 12, item 7):
 *
 * - `room-start`: `npm start` to ready, as a person sees it: the command's own process (tsx
 *   compiling included) until it prints "is ready", seeding included; target ≤ 30 s on 2 cores.
 *   Runs twice: the first may generate the seed images (cached in node_modules/.cache afterwards).
 * - `read-next`: in the room, a signed-in reader presses "Read next case" on the home page until
 *   the viewer beside the form shows both eyes of that case (POST /queue/next, the read, a
 *   streaming URL, the stand-in's page, the viewer, case-files, the images); p50 target ≤ 2 s.
 * - `suite`: `npm test` wall time, browser tests included; target ≤ 10 min on 2 cores.
 *
 * Each prints the machine's load average before and after: the machine may be shared.
 */
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startRoom } from '../local/room';
import { freePort } from '../local/moto';
import { DEMO_PASSWORD } from '../local/seed/users';
import { freshCode } from '../local/totp';
import { launchChromium } from '../test/helpers/browser';

const ROOT = join(__dirname, '..');
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Seconds from spawning `npm start` (its node process) to its "is ready" line; the room is then stopped with SIGINT. */
async function timeStart(): Promise<number> {
  const port = await freePort();
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', join(ROOT, 'local', 'start.ts'), '--port', String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('is ready')) resolve((Date.now() - t0) / 1000);
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before it was ready:\n${out.slice(-2000)}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
  return ready;
}

export async function benchRoomStart(): Promise<void> {
  console.log(`load average before: ${load()}`);
  for (let i = 1; i <= 2; i++) console.log(`npm start → ready, run ${i}: ${(await timeStart()).toFixed(1)} s (target ≤ 30 s)`);
  console.log(`load average after: ${load()}`);
}

export async function benchReadNext(samples = Number(process.env.BENCH_RUNS ?? 10)): Promise<void> {
  console.log(`load average before: ${load()}`);
  const room = await startRoom({ port: 0 });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await page.goto(`${room.portalUrl}/`);
    await page.getByLabel('User name').fill('reader.kim');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByLabel('6-digit code from the app').fill(await freshCode());
    await page.keyboard.press('Enter');
    const times: number[] = [];
    for (let i = 0; i < samples + 1; i++) {
      await page.goto(`${room.portalUrl}/#/`);
      const next = page.getByRole('button', { name: 'Read next case' });
      await next.waitFor();
      const t0 = Date.now();
      await next.click();
      const viewer = page.frameLocator('#read-stream-embed iframe');
      for (const eye of ['OD', 'OS']) await viewer.locator(`section[data-eye="${eye}"][data-loaded="true"]`).waitFor({ timeout: 60_000 });
      // The first press also starts the stand-in's session and warms the handlers: reported apart.
      if (i === 0) console.log(`first "read next" → both eyes shown: ${((Date.now() - t0) / 1000).toFixed(2)} s`);
      else times.push(Date.now() - t0);
    }
    console.log(`"read next" → both eyes shown, ${samples} runs: p50 ${(pct(times, 50) / 1000).toFixed(2)} s, p90 ${(pct(times, 90) / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s (target p50 ≤ 2 s)`);
  } finally {
    await browser.close();
    await room.stop();
  }
  console.log(`load average after: ${load()}`);
}

export function benchSuite(): void {
  console.log(`load average before: ${load()}`);
  const t0 = Date.now();
  const run = spawnSync('npx', ['jest', '--silent'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const seconds = (Date.now() - t0) / 1000;
  const summary = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => /^(Tests|Test Suites):/.test(l));
  console.log(`npm test (every project, browser tests included): ${(seconds / 60).toFixed(1)} min (target ≤ 10 min); exit ${run.status}`);
  for (const l of summary) console.log(`  ${l}`);
  console.log(`load average after: ${load()}`);
}
