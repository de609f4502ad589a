/**
 * The reader's home: progress (GET /me), "read next" (POST /queue/next) and the queue by status
 * (GET /queue, a page at a time).
 */
import { useEffect, useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/client';
import type { AssignmentStatus, Me } from '../api/types';
import { useProfile, useServices } from '../app';
import { dateTime, num, t, tIf } from '../i18n';
import { go, href } from '../router';
import { Alert, ApiProblem, Busy, Data, Loading, More, PageTitle, Tx, usePaged } from '../ui';

const FILTERS: Array<AssignmentStatus | 'all'> = ['all', 'in_progress', 'pending', 'submitted'];

export const statusText = (s: string) => tIf(`status.${s}`) ?? s;

function SiteWarning({ me }: { me: Me }) {
  if (!me.siteProblem) return null;
  return <Alert kind="warning">{t(me.siteProblem === 'missing' ? 'api.error.siteMissing' : 'api.error.siteInvalid')}</Alert>;
}

function ReadNext() {
  const { api } = useServices();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [nothing, setNothing] = useState(false);
  const next = async () => {
    setBusy(true);
    setError(undefined);
    setNothing(false);
    try {
      const answer = await api.next();
      if (answer.assignment) go({ page: 'read', ref: answer.assignment.ref });
      else setNothing(true);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="read-next">
      <Busy busy={busy} type="button" class="primary large" onClick={() => void next()}>
        {t('home.readNext')}
      </Busy>
      <div aria-live="polite">
        {nothing && <Alert kind="info">{t('home.nothingLeft')}</Alert>}
        {error && <ApiProblem error={error} />}
      </div>
    </div>
  );
}

function Queue() {
  const { api } = useServices();
  const [filter, setFilter] = useState<AssignmentStatus | 'all'>('all');
  const list = usePaged((cursor) => api.queue({ status: filter === 'all' ? undefined : filter, cursor, limit: 25 }), [filter]);
  const { items, error } = list;

  return (
    <section aria-labelledby="queue-title">
      <h2 id="queue-title">{t('home.queue')}</h2>
      <fieldset class="segmented">
        <legend>{t('home.filter')}</legend>
        {FILTERS.map((f) => (
          <label key={f}>
            <input type="radio" name="queue-filter" value={f} checked={filter === f} onChange={() => setFilter(f)} />
            {f === 'all' ? t('home.filter.all') : statusText(f)}
          </label>
        ))}
      </fieldset>
      {error && <ApiProblem error={error} retry={list.reload} />}
      {items === undefined ? (
        !error && <Loading />
      ) : items.length === 0 ? (
        <p>{t('home.emptyQueue')}</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{t('home.col.case')}</th>
              <th scope="col">{t('home.col.status')}</th>
              <th scope="col">{t('home.col.assigned')}</th>
              <th scope="col">{t('home.col.updated')}</th>
              <th scope="col">{t('home.col.submitted')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.ref}>
                <th scope="row">
                  <a href={href({ page: 'read', ref: a.ref })}>
                    <Tx k="home.open.case" params={{ ref: <Data>{a.ref}</Data> }} />
                  </a>
                </th>
                <td>{statusText(a.status)}</td>
                <td>{dateTime(a.assignedAt)}</td>
                <td>{dateTime(a.updatedAt)}</td>
                <td>{a.submittedAt ? dateTime(a.submittedAt) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <More list={list} />
    </section>
  );
}

export function Home() {
  const { api } = useServices();
  const profile = useProfile();
  // Progress moves with every submission: asked again each time the page opens.
  const [me, setMe] = useState<Me>(profile.me);
  useEffect(() => {
    let live = true;
    api
      .me()
      .then((fresh) => live && setMe(fresh))
      .catch(() => undefined); // the figures from sign-in stay; the queue below reports failures
    return () => {
      live = false;
    };
  }, []);
  return (
    <div class="page home">
      <PageTitle title={t('home.title')}>{t('home.title')}</PageTitle>
      <SiteWarning me={me} />
      {me.progress && (
        <section aria-labelledby="progress-title">
          <h2 id="progress-title">{t('home.progress')}</h2>
          <dl class="figures">
            <div>
              <dt>{t('home.open')}</dt>
              <dd>{num(me.progress.open)}</dd>
            </div>
            <div>
              <dt>{t('home.submitted')}</dt>
              <dd>{num(me.progress.submitted)}</dd>
            </div>
            {me.site && (
              <div>
                <dt>{t('home.site')}</dt>
                <dd>
                  <Data>{me.site}</Data>
                </dd>
              </div>
            )}
          </dl>
        </section>
      )}
      <ReadNext />
      <Queue />
    </div>
  );
}
