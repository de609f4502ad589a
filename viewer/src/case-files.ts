/**
 * The viewer's only data source: `GET <caseFilesBase>/fleet/case-files?sessionId=<id>` (see
 * lambda/case-files/README.md). From the answer the viewer keeps only what it may show or needs:
 * the assignment `ref` (or that it is an adjudication), the reader's pseudonym, when the URLs
 * expire, and per file its exam, eye and URL. Keys, byte sizes and the case id are dropped here, so
 * nothing further in can display them; URLs are only ever passed to `fetch`.
 */

export type EyeCode = 'OD' | 'OS';

export interface CaseFile {
  exam: string;
  eye: EyeCode | null;
  url: string;
  /** Stable across re-fetches (exam, eye, and position among files of that exam and eye). */
  id: string;
}

export interface CaseFiles {
  label: { kind: 'read'; ref: string } | { kind: 'adjudication' };
  reader?: string;
  /** Epoch milliseconds after which the URLs no longer work. */
  expiresAt: number;
  files: CaseFile[];
}

export type CaseFilesFailure = 'forbidden' | 'badRequest' | 'network' | 'server' | 'badAnswer';

export class CaseFilesError extends Error {
  constructor(
    readonly kind: CaseFilesFailure,
    readonly status?: number,
  ) {
    super(`case files: ${kind}${status ? ` (HTTP ${status})` : ''}`);
    this.name = 'CaseFilesError';
  }
}

/** Validates the answer; throws `badAnswer` on anything the viewer cannot rely on. */
export function parseCaseFiles(body: unknown): CaseFiles {
  const bad = () => new CaseFilesError('badAnswer');
  if (typeof body !== 'object' || body === null) throw bad();
  const b = body as Record<string, unknown>;
  const expiresAt = typeof b.expiresAt === 'string' ? Date.parse(b.expiresAt) : NaN;
  if (!Number.isFinite(expiresAt) || !Array.isArray(b.files)) throw bad();
  const seen = new Map<string, number>();
  const files = b.files.map((f: unknown): CaseFile => {
    if (typeof f !== 'object' || f === null) throw bad();
    const { exam, eye, url } = f as Record<string, unknown>;
    if (typeof exam !== 'string' || typeof url !== 'string' || url === '') throw bad();
    if (eye !== undefined && eye !== null && eye !== 'OD' && eye !== 'OS') throw bad();
    const base = `${exam}|${eye ?? '-'}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return { exam, eye: (eye as EyeCode | undefined) ?? null, url, id: `${base}|${n}` };
  });
  const ref = typeof b.ref === 'string' && b.ref !== '' ? b.ref : undefined;
  return {
    label: ref ? { kind: 'read', ref } : { kind: 'adjudication' },
    reader: typeof b.reader === 'string' && b.reader !== '' ? b.reader : undefined,
    expiresAt,
    files,
  };
}

export async function fetchCaseFiles(base: string, sessionId: string, fetchImpl: typeof fetch = fetch): Promise<CaseFiles> {
  const url = `${base.replace(/\/+$/, '')}/fleet/case-files?sessionId=${encodeURIComponent(sessionId)}`;
  let res: Response;
  try {
    res = await fetchImpl(url, { credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new CaseFilesError('network');
  }
  if (res.status === 401 || res.status === 403) throw new CaseFilesError('forbidden', res.status);
  if (res.status === 400) throw new CaseFilesError('badRequest', res.status);
  if (!res.ok) throw new CaseFilesError('server', res.status);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new CaseFilesError('badAnswer');
  }
  return parseCaseFiles(body);
}

/** How long before `expiresAt` the viewer asks for fresh URLs, so a load never starts on a dying one. */
export const REFRESH_MARGIN_MS = 30_000;
/** Never re-fetch more often than this, whatever a (short or skewed) expiry says. */
export const MIN_REFRESH_MS = 2_000;

/**
 * Keeps the current answer fresh while the viewer still has files to fetch: re-fetches before the
 * URLs expire, on demand when a file fetch is refused (an expired presigned URL answers 403), and at
 * most one fetch at a time. Once every file is loaded (`keepFresh(false)`) it stops asking: each
 * answer is an audit event on the server, and URLs nobody will use need no renewing; a later need
 * (a Retry) fetches fresh URLs first.
 */
export class CaseFilesSession {
  current?: CaseFiles;
  private inflight?: Promise<CaseFiles>;
  private timer?: ReturnType<typeof setTimeout>;
  private fresh = true;

  constructor(
    private readonly load: () => Promise<CaseFiles>,
    private readonly onRefreshError: (e: unknown) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  refresh(): Promise<CaseFiles> {
    this.inflight ??= this.load()
      .then((files) => {
        this.current = files;
        this.schedule();
        return files;
      })
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** The URL for a file, fetching fresh URLs first if the current ones are about to expire. */
  async urlFor(id: string): Promise<string | undefined> {
    if (!this.current || this.current.expiresAt - this.now() < MIN_REFRESH_MS) await this.refresh();
    return this.current!.files.find((f) => f.id === id)?.url;
  }

  /** Whether to renew the URLs ahead of expiry (true while files remain to be fetched). */
  keepFresh(on: boolean): void {
    this.fresh = on;
    if (on && this.current) this.schedule();
    else clearTimeout(this.timer);
  }

  stop(): void {
    this.keepFresh(false);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.fresh) return;
    const wait = Math.max(MIN_REFRESH_MS, this.current!.expiresAt - this.now() - REFRESH_MARGIN_MS);
    this.timer = setTimeout(() => this.refresh().catch(this.onRefreshError), Math.min(wait, 2 ** 31 - 1));
  }
}

/**
 * Fetches one file's bytes. A 401/403/400 from storage is what an expired presigned URL returns,
 * so the session re-fetches its URLs once and tries again before giving up.
 */
export async function fetchFile(session: CaseFilesSession, id: string, fetchImpl: typeof fetch = fetch): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    const url = await session.urlFor(id);
    if (!url) throw new CaseFilesError('badAnswer');
    let res: Response;
    try {
      res = await fetchImpl(url, { credentials: 'omit' });
    } catch {
      throw new CaseFilesError('network');
    }
    if (res.ok) return new Uint8Array(await res.arrayBuffer());
    if ([400, 401, 403].includes(res.status) && attempt === 0) {
      await session.refresh();
      continue;
    }
    throw new CaseFilesError('server', res.status);
  }
}
