/**
 * The coordinator's pages (`#/coordinator/<tab>`): progress per reader and per case state with the
 * rejected manifests (GET /progress, two cursors), bulk assignment (POST /assignments, preview
 * first), the export (POST /exports, then GET /exports/{id} until it is done, with the download
 * links) and the audit log by day (GET /audit?day=).
 *
 * Withdrawing an assignment (POST /assignments/{ref}/withdraw, with an Idempotency-Key per
 * request) is its own tab; an assignment run whose exclusions hit existing assignments links each
 * withdrawable one there with its ref filled in.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TargetedEvent } from 'preact';
import { asApiError, type ApiError } from '../api/client';
import { WITHDRAW_REASONS, type AssignResult, type ExportJob, type Progress, type Rejection, type WithdrawReason, type Withdrawn } from '../api/types';
import { useServices } from '../app';
import { bytes, dateTime, num, t, tIf, type MessageKey } from '../i18n';
import { COORDINATOR_TABS, href, type CoordinatorTab } from '../router';
import { Alert, ApiProblem, Busy, Data, Loading, More, PageTitle, Tx, usePaged } from '../ui';

const TAB_KEYS: Record<CoordinatorTab, MessageKey> = {
  progress: 'coord.tab.progress',
  assign: 'coord.tab.assign',
  withdraw: 'coord.tab.withdraw',
  export: 'coord.tab.export',
  audit: 'coord.tab.audit',
};

function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { value?: T; error?: ApiError; reload: () => void; set: (v: T) => void } {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    load()
      .then((v) => live && setValue(v))
      .catch((e) => live && setError(asApiError(e)));
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return { value, error, reload: () => setN((x) => x + 1), set: setValue };
}

// ---------------------------------------------------------------------------------------------
// Progress

function RejectionReasons({ reasons }: { reasons: Rejection['reasons'] }) {
  const list = Array.isArray(reasons) ? reasons : [];
  return (
    <ul class="plain">
      {list.map((r, i) => {
        const item = r as { field?: string; rule?: string; message?: string };
        return (
          <li key={i}>
            {/* The registry's own words (English): data about the manifest, shown as sent. */}
            <Data>{[item.field, item.rule].filter(Boolean).join(' · ')}</Data>
            {item.message && (
              <>
                {' '}
                <span lang="en" translate={false}>
                  {item.message}
                </span>
              </>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function ProgressTab() {
  const { api } = useServices();
  const { value, error, reload, set } = useLoad(() => api.progress({ limit: 50, rejections: 50 }), []);
  const [busy, setBusy] = useState<'readers' | 'rejections' | undefined>(undefined);
  const [moreError, setMoreError] = useState<ApiError | undefined>(undefined);
  const more = async (which: 'readers' | 'rejections') => {
    if (!value) return;
    setBusy(which);
    setMoreError(undefined);
    try {
      if (which === 'readers') {
        const page = await api.progress({ limit: 50, cursor: value.cursor, rejections: 0 });
        set({ ...value, readers: [...value.readers, ...page.readers], cursor: page.cursor });
      } else {
        const page = await api.progress({ limit: 1, rejections: 50, rejectionsCursor: value.rejectionsCursor });
        set({ ...value, rejections: [...value.rejections, ...page.rejections], rejectionsCursor: page.rejectionsCursor });
      }
    } catch (e) {
      setMoreError(asApiError(e));
    } finally {
      setBusy(undefined);
    }
  };
  if (error) return <ApiProblem error={error} retry={reload} />;
  if (!value) return <Loading />;
  const p: Progress = value;
  const figure = (key: MessageKey, n: number) => (
    <div>
      <dt>{t(key)}</dt>
      <dd>{num(n)}</dd>
    </div>
  );
  return (
    <>
      <section aria-labelledby="cases-title">
        <h2 id="cases-title">{t('coord.cases')}</h2>
        <dl class="figures">
          {figure('coord.cases.open', p.cases.open)}
          {figure('coord.cases.adjudication', p.cases.adjudication)}
          {figure('coord.cases.final', p.cases.final)}
          {figure('coord.cases.total', p.cases.total)}
        </dl>
        <h3>{t('coord.adjudications')}</h3>
        <dl class="figures">
          {figure('coord.adjudications.open', p.adjudications.open)}
          {figure('coord.adjudications.resolved', p.adjudications.resolved)}
        </dl>
      </section>
      <section aria-labelledby="readers-title">
        <h2 id="readers-title">{t('coord.readers')}</h2>
        {p.readers.length === 0 ? (
          <p>{t('coord.noReaders')}</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">{t('coord.col.reader')}</th>
                <th scope="col">{t('coord.col.email')}</th>
                <th scope="col">{t('coord.col.site')}</th>
                <th scope="col" class="num">
                  {t('coord.col.open')}
                </th>
                <th scope="col" class="num">
                  {t('coord.col.submitted')}
                </th>
              </tr>
            </thead>
            <tbody>
              {p.readers.map((r) => (
                <tr key={r.readerId}>
                  <th scope="row">
                    <Data>{r.readerId}</Data>
                  </th>
                  <td>
                    <Data>{r.email ?? ''}</Data>
                  </td>
                  <td>
                    <Data>{r.site ?? ''}</Data>
                  </td>
                  <td class="num">{num(r.openCount)}</td>
                  <td class="num">{num(r.submittedCount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {p.cursor && (
          <Busy busy={busy === 'readers'} type="button" onClick={() => void more('readers')}>
            {t('common.more')}
          </Busy>
        )}
      </section>
      <section aria-labelledby="rejections-title">
        <h2 id="rejections-title">{t('coord.rejections')}</h2>
        {p.rejections.length === 0 ? (
          <p>{t('coord.noRejections')}</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">{t('coord.col.case')}</th>
                <th scope="col">{t('coord.col.at')}</th>
                <th scope="col">{t('coord.col.reasons')}</th>
              </tr>
            </thead>
            <tbody>
              {p.rejections.map((r) => (
                <tr key={`${r.caseId}-${r.at}`}>
                  <th scope="row">
                    <Data>{r.caseId}</Data>
                  </th>
                  <td>{dateTime(r.at)}</td>
                  <td>
                    <RejectionReasons reasons={r.reasons} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {p.rejectionsCursor && (
          <Busy busy={busy === 'rejections'} type="button" onClick={() => void more('rejections')}>
            {t('common.more')}
          </Busy>
        )}
      </section>
      {moreError && <ApiProblem error={moreError} />}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Bulk assignment

const lines = (text: string) =>
  text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** "reader case case …" a line → exclusions. */
export function parseExclusions(text: string): Array<{ readerId: string; caseIds: string[] }> {
  return text
    .split('\n')
    .map((l) => l.trim().split(/[\s,]+/).filter(Boolean))
    .filter((parts) => parts.length >= 2)
    .map(([readerId, ...caseIds]) => ({ readerId, caseIds }));
}

function AssignTab() {
  const { api } = useServices();
  const [caseIds, setCaseIds] = useState('');
  const [readerIds, setReaderIds] = useState('');
  const [exclusions, setExclusions] = useState('');
  const [limit, setLimit] = useState('');
  const [readsPerCase, setReadsPerCase] = useState('');
  const [maxOpen, setMaxOpen] = useState('');
  const [allowSameSite, setAllowSameSite] = useState(false);
  const [hiddenRepeats, setHiddenRepeats] = useState(true);
  const [result, setResult] = useState<AssignResult | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const resultRef = useRef<HTMLDivElement>(null);

  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(undefined);
    const int = (s: string) => (s.trim() ? Number(s) : undefined);
    try {
      const body = {
        ...(lines(caseIds).length ? { caseIds: lines(caseIds) } : {}),
        ...(lines(readerIds).length ? { readerIds: lines(readerIds) } : {}),
        ...(parseExclusions(exclusions).length ? { exclusions: parseExclusions(exclusions) } : {}),
        ...(int(limit) !== undefined ? { limit: int(limit) } : {}),
        ...(int(readsPerCase) !== undefined ? { readsPerCase: int(readsPerCase) } : {}),
        ...(int(maxOpen) !== undefined ? { maxOpenPerReader: int(maxOpen) } : {}),
        allowSameSite,
        hiddenRepeats,
        dryRun,
      };
      setResult(await api.assign(body));
      setTimeout(() => resultRef.current?.focus(), 0);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    void run(true);
  };
  const area = (id: string, key: MessageKey, value: string, set: (v: string) => void) => (
    <div class="field">
      <label for={id}>{t(key)}</label>
      <textarea id={id} rows={3} value={value} onInput={(e) => set((e.target as HTMLTextAreaElement).value)} />
    </div>
  );
  const number = (id: string, key: MessageKey, value: string, set: (v: string) => void, max: number) => (
    <div class="field small">
      <label for={id}>{t(key)}</label>
      <input id={id} type="number" min={1} max={max} inputMode="numeric" value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} />
    </div>
  );
  return (
    <>
      <h2>{t('coord.assignTitle')}</h2>
      <p>{t('coord.assignIntro')}</p>
      <form onSubmit={submit} noValidate>
        {area('assign-cases', 'coord.caseIds', caseIds, setCaseIds)}
        {area('assign-readers', 'coord.readerIds', readerIds, setReaderIds)}
        {area('assign-exclusions', 'coord.exclusions', exclusions, setExclusions)}
        <div class="row">
          {number('assign-limit', 'coord.limit', limit, setLimit, 500)}
          {number('assign-k', 'coord.readsPerCase', readsPerCase, setReadsPerCase, 5)}
          {number('assign-cap', 'coord.maxOpen', maxOpen, setMaxOpen, 1000)}
        </div>
        <label class="option">
          <input type="checkbox" checked={allowSameSite} onChange={(e) => setAllowSameSite((e.target as HTMLInputElement).checked)} />
          <span>{t('coord.allowSameSite')}</span>
        </label>
        <label class="option">
          <input type="checkbox" checked={hiddenRepeats} onChange={(e) => setHiddenRepeats((e.target as HTMLInputElement).checked)} />
          <span>{t('coord.hiddenRepeats')}</span>
        </label>
        <div class="actions">
          <Busy busy={busy} type="submit">
            {t('coord.preview')}
          </Busy>
          <Busy busy={busy} type="button" class="primary" onClick={() => void run(false)}>
            {t('coord.assign')}
          </Busy>
        </div>
      </form>
      {error && <ApiProblem error={error} />}
      {result && (
        <div class="result" tabIndex={-1} ref={resultRef} aria-labelledby="assign-result">
          <Alert kind={result.dryRun ? 'info' : 'success'}>
            <p id="assign-result">{t(result.dryRun ? 'coord.result.preview' : 'coord.result.done')}</p>
          </Alert>
          <dl class="figures">
            <div>
              <dt>{t('coord.result.assigned')}</dt>
              <dd>{num(result.assigned.length)}</dd>
            </div>
            <div>
              <dt>{t('coord.result.repeats')}</dt>
              <dd>{num(result.repeats.length)}</dd>
            </div>
            <div>
              <dt>{t('coord.result.unfilled')}</dt>
              <dd>{num(result.unfilled.length)}</dd>
            </div>
            <div>
              <dt>{t('coord.result.skipped')}</dt>
              <dd>{num(result.skipped.length)}</dd>
            </div>
          </dl>
          {result.skippedReaders.length > 0 && (
            <>
              <h3>{t('coord.result.skippedReaders')}</h3>
              <ul>
                {result.skippedReaders.map((r) => (
                  <li key={r.readerId}>
                    <Data>{r.readerId}</Data>: {tIf(`coord.skipReader.${r.reason}`) ?? <Data>{r.reason}</Data>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.unfilled.length > 0 && (
            <>
              <h3>{t('coord.result.unfilled')}</h3>
              <ul>
                {result.unfilled.map((u) => (
                  <li key={u.caseId}>
                    <Data>{u.caseId}</Data>: {tIf(`coord.unfilled.${u.reason}`, { missing: num(u.missing) }) ?? <Data>{u.reason}</Data>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.assigned.length > 0 && (
            <>
              <h3>{t('coord.result.assigned')}</h3>
              <ul class="columns">
                {result.assigned.map((a) => (
                  <li key={`${a.caseId}-${a.readerId}`}>
                    <Data>
                      {a.caseId} → {a.readerId}
                    </Data>
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.skipped.length > 0 && (
            <>
              <h3>{t('coord.result.skipped')}</h3>
              <ul>
                {result.skipped.map((s, i) => (
                  <li key={i}>
                    <Data>{[s.caseId, s.readerId, s.reason].filter(Boolean).join(' · ')}</Data>
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.excludedAssignments && result.excludedAssignments.length > 0 && (
            <>
              <h3>{t('coord.excludedAssignments')}</h3>
              <ul>
                {result.excludedAssignments.map((a) => (
                  <li key={a.ref}>
                    <Data>{[a.caseId, a.readerId, a.status].join(' · ')}</Data>{' '}
                    {a.withdraw && <a href={withdrawHref(a.ref)}>{t('coord.withdraw')}</a>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.more && <Alert kind="info">{t('coord.result.more')}</Alert>}
        </div>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Withdraw

/** The withdraw tab with the ref filled in (an exclusion's answer links each withdrawable assignment here). */
export const withdrawHref = (ref: string) => `${href({ page: 'coordinator', tab: 'withdraw' })}?ref=${encodeURIComponent(ref)}`;
const REF = /^[a-z2-7]{12}$/;

/** The ref a link brought (`#/coordinator/withdraw?ref=…`), if it is one. */
export function refFromHash(hash: string): string {
  const ref = new URLSearchParams(hash.split('?')[1] ?? '').get('ref') ?? '';
  return REF.test(ref) ? ref : '';
}

function WithdrawTab() {
  const { api } = useServices();
  const [ref, setRef] = useState(() => refFromHash(typeof location === 'undefined' ? '' : location.hash));
  const [reason, setReason] = useState<WithdrawReason>('other');
  const [result, setResult] = useState<Withdrawn | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  // One key per request (ref and reason): a repeat of the same request is replayed by the server.
  const key = useRef<{ for: string; key: string } | undefined>(undefined);

  const submit = async (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    const trimmed = ref.trim();
    setInvalid(!REF.test(trimmed));
    if (!REF.test(trimmed)) return;
    const request = `${trimmed} ${reason}`;
    if (key.current?.for !== request) key.current = { for: request, key: api.newKey() };
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api.withdraw(trimmed, reason, key.current.key));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2>{t('coord.withdrawTitle')}</h2>
      <p>{t('coord.withdrawIntro')}</p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label for="withdraw-ref">{t('coord.withdrawRef')}</label>
        <input
          id="withdraw-ref"
          value={ref}
          autoComplete="off"
          spellcheck={false}
          aria-invalid={invalid || undefined}
          aria-describedby={invalid ? 'withdraw-ref-error' : undefined}
          onInput={(e) => setRef((e.target as HTMLInputElement).value)}
        />
        {invalid && <p id="withdraw-ref-error" class="field-error">{t('coord.withdrawRefInvalid')}</p>}
        <label for="withdraw-reason">{t('coord.withdrawReason')}</label>
        <select id="withdraw-reason" value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value as WithdrawReason)}>
          {WITHDRAW_REASONS.map((r) => (
            <option key={r} value={r}>
              {t(`coord.withdrawReason.${r}` as MessageKey)}
            </option>
          ))}
        </select>
        <Busy busy={busy} type="submit" class="primary">
          {t('coord.withdraw')}
        </Busy>
      </form>
      {error && <ApiProblem error={error} />}
      {result && (
        <Alert kind="success">
          {t('coord.withdrawn', { caseId: result.caseId, readerId: result.readerId })} {result.draftKept ? t('coord.withdrawnDraftKept') : ''}
        </Alert>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Export

/** How often GET /exports/{id} is asked while the export runs (growing, then steady). */
export const EXPORT_POLL_MS = [1000, 2000, 3000, 5000];

function ExportTab() {
  const { api } = useServices();
  const [formats, setFormats] = useState<string[]>(['csv', 'json']);
  const [job, setJob] = useState<ExportJob | undefined>(undefined);
  const [fetchedAt, setFetchedAt] = useState(0);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [expired, setExpired] = useState(false);

  // Watch a running export; stop when it is complete, failed or stalled, or the page closes.
  useEffect(() => {
    if (!job || !['queued', 'running'].includes(job.status)) return;
    let n = 0;
    let timer: ReturnType<typeof setTimeout>;
    let live = true;
    const poll = async () => {
      try {
        const next = await api.exportStatus(job.exportId);
        if (!live) return;
        setJob(next);
        setFetchedAt(Date.now());
        if (['queued', 'running'].includes(next.status)) timer = setTimeout(() => void poll(), EXPORT_POLL_MS[Math.min(++n, EXPORT_POLL_MS.length - 1)]);
      } catch (e) {
        if (live) setError(asApiError(e));
      }
    };
    timer = setTimeout(() => void poll(), EXPORT_POLL_MS[0]);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [job?.exportId, job?.status === 'queued' || job?.status === 'running']);

  // Download links last expiresInSeconds: after that, offer new ones.
  useEffect(() => {
    setExpired(false);
    if (job?.status !== 'complete' || !job.expiresInSeconds) return;
    const timer = setTimeout(() => setExpired(true), Math.max(0, fetchedAt + job.expiresInSeconds * 1000 - Date.now()));
    return () => clearTimeout(timer);
  }, [fetchedAt]);

  const start = async (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setJob(await api.startExport(formats));
      setFetchedAt(Date.now());
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const refresh = async () => {
    if (!job) return;
    try {
      setJob(await api.exportStatus(job.exportId));
      setFetchedAt(Date.now());
    } catch (err) {
      setError(asApiError(err));
    }
  };
  const toggle = (f: string, on: boolean) => setFormats((before) => (on ? [...new Set([...before, f])] : before.filter((x) => x !== f)));
  const statusText = job ? (tIf(`coord.export.${job.status}`) ?? job.status) : '';
  return (
    <>
      <h2>{t('coord.exportTitle')}</h2>
      <p>{t('coord.exportIntro', { minutes: 15 })}</p>
      <form onSubmit={(e) => void start(e)} noValidate>
        <fieldset>
          <legend>{t('coord.formats')}</legend>
          {['csv', 'json'].map((f) => (
            <label class="option" key={f}>
              <input type="checkbox" checked={formats.includes(f)} onChange={(e) => toggle(f, (e.target as HTMLInputElement).checked)} />
              <span translate={false}>{f.toUpperCase()}</span>
            </label>
          ))}
        </fieldset>
        <Busy busy={busy || job?.status === 'queued' || job?.status === 'running'} type="submit" class="primary" disabled={formats.length === 0}>
          {t('coord.startExport')}
        </Busy>
      </form>
      {error && <ApiProblem error={error} />}
      {job && (
        <section class="export-job" aria-live="polite">
          <p role="status">
            <Tx k="coord.export.status" params={{ id: <Data>{job.exportId}</Data>, status: statusText }} />
          </p>
          {job.status === 'failed' && job.error && (
            <Alert>
              <p lang="en" translate={false}>
                {job.error}
              </p>
            </Alert>
          )}
          {job.counts && <p>{t('coord.export.counts', { cases: num(job.counts.cases), rows: num(job.counts.rows), reads: num(job.counts.reads) })}</p>}
          {job.status === 'complete' && job.files && (
            <>
              <h3>{t('coord.export.files')}</h3>
              {expired ? (
                <Alert kind="info">
                  <p>{t('coord.export.linksExpired')}</p>
                  <button type="button" onClick={() => void refresh()}>
                    {t('coord.export.refreshLinks')}
                  </button>
                </Alert>
              ) : (
                <ul>
                  {job.files.map((f) => (
                    <li key={f.name}>
                      <a href={f.url} download={f.name} rel="noreferrer">
                        <Data>{f.name}</Data>
                      </a>{' '}
                      ({bytes(f.bytes)})
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </section>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Audit log

const today = () => new Date().toISOString().slice(0, 10);

function AuditTab() {
  const { api } = useServices();
  const [day, setDay] = useState(today());
  const [shown, setShown] = useState(today());
  const list = usePaged((cursor) => api.audit({ day: shown, cursor, limit: 100 }), [shown]);
  const { items, error } = list;
  return (
    <>
      <h2>{t('coord.auditTitle')}</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (day === shown) list.reload();
          else setShown(day);
        }}
        noValidate
      >
        <div class="field small">
          <label for="audit-day">{t('coord.day')}</label>
          <input id="audit-day" type="date" value={day} max={today()} onInput={(e) => setDay((e.target as HTMLInputElement).value)} />
        </div>
        <Busy busy={list.busy} type="submit">
          {t('coord.show')}
        </Busy>
      </form>
      {error && <ApiProblem error={error} />}
      {items === undefined ? (
        !error && <Loading />
      ) : items.length === 0 ? (
        <p>{t('coord.noEvents')}</p>
      ) : (
        <table class="list" aria-label={`${t('coord.auditTitle')} ${shown}`}>
          <thead>
            <tr>
              <th scope="col">{t('coord.col.time')}</th>
              <th scope="col">{t('coord.col.action')}</th>
              <th scope="col">{t('coord.col.actor')}</th>
              <th scope="col">{t('coord.col.case')}</th>
              <th scope="col">{t('coord.col.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((ev) => (
              <tr key={ev.id}>
                <td>{dateTime(ev.at)}</td>
                <td>{tIf(`audit.${ev.action}`) ?? <Data>{ev.action}</Data>}</td>
                <td>
                  <Data>{ev.actor}</Data>
                </td>
                <td>
                  <Data>{ev.caseId ?? ''}</Data>
                </td>
                <td>
                  <Data>
                    {[...Object.entries(ev.detail ?? {}).map(([k, v]) => `${k}=${v}`), ...(ev.sessionHash ? [`session=${ev.sessionHash.slice(0, 10)}…`] : [])].join(' ')}
                  </Data>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <More list={list} />
    </>
  );
}

export function Coordinator({ tab }: { tab: CoordinatorTab }) {
  return (
    <div class="page coordinator">
      <PageTitle title={`${t('coord.title')}: ${t(TAB_KEYS[tab])}`}>{t('coord.title')}</PageTitle>
      <nav aria-label={t('coord.nav')} class="tabs">
        <ul>
          {COORDINATOR_TABS.map((name) => (
            <li key={name}>
              <a href={href({ page: 'coordinator', tab: name })} aria-current={name === tab ? 'page' : undefined}>
                {t(TAB_KEYS[name])}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {tab === 'progress' && <ProgressTab />}
      {tab === 'assign' && <AssignTab />}
      {tab === 'withdraw' && <WithdrawTab />}
      {tab === 'export' && <ExportTab />}
      {tab === 'audit' && <AuditTab />}
    </div>
  );
}
