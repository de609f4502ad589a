/**
 * `npm start`: the local reading room (./room.ts) until Ctrl-C.
 *
 *   npm start                  the portal on http://127.0.0.1:8480
 *   npm start -- --port 9000   another port (e.g. a second room beside the first)
 *
 * Prints the portal's URL and how each demo user signs in. Ctrl-C (or SIGTERM) stops every process
 * and server it started.
 */
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PORT, RoomError, startRoom, type Room } from './room';
import { DEMO_PASSWORD, TEMPORARY_PASSWORD } from './seed/users';

export function parsePort(argv: readonly string[]): number {
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  if (i < 0) return DEFAULT_PORT;
  const raw = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RoomError(`--port: must be a port number from 1 to 65535, got ${JSON.stringify(raw ?? '')}`);
  return port;
}

/** What `npm start` prints once the room is ready. */
export function readyText(room: Room): string {
  const width = Math.max(...room.users.map((u) => u.username.length));
  const lines = [
    '',
    `ReadRoom local reading room is ready (${(room.timings.ready / 1000).toFixed(1)} s).`,
    '',
    `  Portal:  ${room.portalUrl}/`,
    '',
    'Demo users (moto checks TOTP codes, not passwords):',
    ...room.users.map((u) => `  ${u.username.padEnd(width)}  ${u.about}`),
    '',
    `Sign in with the password ${DEMO_PASSWORD}, then a code from: npm run totp -- <user>`,
    `reader.new signs in for the first time: password ${TEMPORARY_PASSWORD}, then chooses a new one and sets up an`,
    'authenticator (the QR code or the key shown; `npm run totp -- reader.new` prints the same codes).',
    '',
    'Ctrl-C stops the room (nothing is kept).',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const port = parsePort(process.argv.slice(2));
  console.log(`Starting the local reading room on port ${port} …`);
  // The functions' JSON log lines (CloudWatch's, on AWS) go to a file; the terminal keeps the rest.
  const logFile = join(tmpdir(), `readroom-room-${port}.log`);
  const functionLog = createWriteStream(logFile);
  for (const level of ['log', 'error'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('{"level":')) functionLog.write(`${args[0]}\n`);
      else original(...args);
    };
  }
  const room = await startRoom({ port, log: (line) => console.log(`  ${line}`) });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the reading room …`);
    room
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  console.log(readyText(room));
  console.log(`The functions' logs: ${logFile}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof RoomError ? `\n${e.message}` : e);
    process.exit(1);
  });
}
