/**
 * Time and storage for the portal's Node tests: timers that run only when the test moves the
 * clock (the portal's controllers take them as a parameter), and a Storage in memory.
 */
export class FakeTimers {
  t = Date.parse('2026-12-05T00:00:00Z');
  pending: Array<{ at: number; fn: () => void; id: number }> = [];
  private n = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.n;
    this.pending.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.pending = this.pending.filter((p) => p.id !== h);
  };

  /** Moves the clock on, running the timers that fall due in order, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    for (;;) {
      const due = this.pending.filter((p) => p.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = until;
    await settle();
  }
}

export const settle = () => new Promise((r) => setImmediate(r));

export class MemoryStorage {
  map = new Map<string, string>();
  getItem = (k: string) => this.map.get(k) ?? null;
  setItem = (k: string, v: string) => void this.map.set(k, v);
  removeItem = (k: string) => void this.map.delete(k);
  key = (i: number) => [...this.map.keys()][i] ?? null;
  get length(): number {
    return this.map.size;
  }
}
