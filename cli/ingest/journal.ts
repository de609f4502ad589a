/**
 * The local journal that makes an ingest resumable: one JSON line per object stored (file or
 * manifest), appended as soon as S3 confirmed it. A re-run skips an object whose journal line
 * still describes the same local file (path, size, modification time) and whose checksum in S3
 * is still the one recorded. A line cut short by a crash is ignored. The journal stays on this
 * machine (it names local paths); it is written beside the ingest folder, not in it.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface JournalEntry {
  bucket: string;
  /** Full object key (`cases/<caseId>/…`). */
  key: string;
  /** Local file ('' for a manifest). */
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  crc64: string;
  /** What S3 reported holding (compared on resume). */
  stored?: string;
  at: string;
}

export class Journal {
  private constructor(
    readonly file: string,
    private readonly entries: Map<string, JournalEntry>,
  ) {}

  static async open(file: string): Promise<Journal> {
    const entries = new Map<string, JournalEntry>();
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as JournalEntry;
        if (e && typeof e.key === 'string' && typeof e.bucket === 'string') entries.set(`${e.bucket}/${e.key}`, e);
      } catch {
        // A line cut short by an interruption: that object is simply uploaded again.
      }
    }
    await mkdir(path.dirname(file), { recursive: true });
    return new Journal(file, entries);
  }

  get(bucket: string, key: string): JournalEntry | undefined {
    return this.entries.get(`${bucket}/${key}`);
  }

  async record(e: JournalEntry): Promise<void> {
    this.entries.set(`${e.bucket}/${e.key}`, e);
    await appendFile(this.file, JSON.stringify(e) + '\n');
  }

  get size() {
    return this.entries.size;
  }
}

/** `<parent>/.readroom-ingest-<study>-<folder>.jsonl`: beside the folder, so it is never one of its files. */
export const defaultJournalPath = (folder: string, study: string) => {
  const abs = path.resolve(folder);
  return path.join(path.dirname(abs), `.readroom-ingest-${study}-${path.basename(abs)}.jsonl`);
};
