/**
 * The browser project's jest environment: the quiet one (test/helpers/quiet-environment.ts), plus
 * one Chromium per jest worker instead of one per test file. A launch costs ≈ 1.2 s and ≈ 2.5 s of
 * CPU (the browser, GPU, network and zygote processes); with six browser files over two workers,
 * four launches are saved a run.
 *
 * This module is loaded by Node, not by jest's per-file module registry, so the Chromium it
 * launches (through its own copy of test/helpers/browser.ts and playwright-core) outlives each
 * file, and the worker's other files in between. Files get it through the sandbox global
 * `__readroomWorkerChromium`; `useBrowser` closes every context a file opened when the file ends,
 * never this browser. A browser that has gone (crashed, or closed by a test) is launched again.
 *
 * Its end: Chromium's pipes would keep the worker alive after its last file, so when jest tells
 * the worker to end, the browser's process group is killed at once (nothing of it is needed any
 * more) and the worker exits as it would have. A run in band (`-i`: no worker, no such message)
 * launches one Chromium per file, as before.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import QuietEnvironment from '../helpers/quiet-environment';

/** jest-worker's CHILD_MESSAGE_END: the parent's `[2, …]` asks the worker to finish. */
const CHILD_MESSAGE_END = 2;

let chromium: Promise<Browser> | undefined;
let groupLeader: number | undefined;

/** Process ids of this process's Chromium children (Playwright starts each as a group leader). */
function chromiumChildren(): Set<number> {
  const out = new Set<number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chromium')) out.add(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function killChromium(): void {
  if (groupLeader === undefined) return;
  try {
    process.kill(-groupLeader, 'SIGKILL');
  } catch {
    // already gone
  }
  groupLeader = undefined;
}

function onParentMessage(message: unknown): void {
  if (!Array.isArray(message) || message[0] !== CHILD_MESSAGE_END) return;
  process.removeListener('message', onParentMessage);
  killChromium();
}

async function workerChromium(): Promise<Browser> {
  const current = await chromium?.catch(() => undefined);
  if (current?.isConnected()) return current;
  killChromium();
  const before = chromiumChildren();
  chromium = launchChromium().then((browser) => {
    groupLeader = [...chromiumChildren()].find((pid) => !before.has(pid));
    if (!process.listeners('message').includes(onParentMessage)) process.on('message', onParentMessage);
    return browser;
  });
  return chromium;
}

export default class BrowserEnvironment extends QuietEnvironment {
  constructor(...args: ConstructorParameters<typeof QuietEnvironment>) {
    super(...args);
    // In a jest worker only: in band there is no parent to say when the run ends.
    if (process.send) this.global.__readroomWorkerChromium = workerChromium;
  }
}
