/**
 * Progress on stderr: bytes, rate and time left. On a terminal one line is redrawn; otherwise (CI,
 * a log file) a line is printed every few seconds, so logs stay readable. The byte count is what
 * S3 acknowledged (upload.ts `onBytes`); bytes still on their way are shown beside it and feed the
 * rate, so a 1 GB PUT moves the line long before S3 stores it, and a failed one leaves nothing.
 */
export interface ProgressSink {
  isTTY?: boolean;
  write(s: string): unknown;
}

export const formatBytes = (n: number) => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};

const formatDuration = (s: number) => {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
};

export class Progress {
  private done = 0;
  private sendingNow = 0;
  private filesDone = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  constructor(
    private readonly totalBytes: number,
    private readonly totalFiles: number,
    private readonly out: ProgressSink | undefined,
    private readonly now = () => Date.now(),
  ) {}

  /** Bytes S3 acknowledged (negative: taken back). */
  bytes(n: number) {
    this.done += n;
    this.draw(false);
  }
  /** Bytes on their way, not yet acknowledged (negative: arrived, or the attempt ended). */
  sending(n: number) {
    this.sendingNow += n;
    this.draw(false);
  }
  file() {
    this.filesDone++;
    this.draw(false);
  }
  finish() {
    this.draw(true);
    if (this.out?.isTTY) this.out.write('\n');
  }

  /** `[#####-----] 1.2 GB / 2.0 GB (+64.0 MB sending)  85.3 MB/s  ETA 0:09  files 12/40` */
  line(): string {
    const elapsed = Math.max(0.001, (this.now() - this.started) / 1000);
    const moved = this.done + this.sendingNow;
    const rate = moved / elapsed;
    const left = this.totalBytes > moved ? (this.totalBytes - moved) / rate : 0;
    const frac = this.totalBytes > 0 ? Math.min(1, this.done / this.totalBytes) : 1;
    const bar = '#'.repeat(Math.round(frac * 20)).padEnd(20, '-');
    const sending = this.sendingNow > 0 ? ` (+${formatBytes(this.sendingNow)} sending)` : '';
    return `[${bar}] ${formatBytes(this.done)} / ${formatBytes(this.totalBytes)}${sending}  ${formatBytes(rate)}/s  ETA ${formatDuration(left)}  files ${this.filesDone}/${this.totalFiles}`;
  }

  private draw(force: boolean) {
    if (!this.out) return;
    const t = this.now();
    const every = this.out.isTTY ? 200 : 5000;
    if (!force && t - this.lastDraw < every) return;
    this.lastDraw = t;
    this.out.write(this.out.isTTY ? `\r${this.line()}\u001b[K` : `${this.line()}\n`);
  }
}
