/**
 * The adjudicator's list (GET /adjudications): open or resolved tasks, highest priority first, a
 * page at a time, with what the reads disagree on. The API leaves out the cases the adjudicator is
 * in conflict with; a refusal of the whole list (403 dual_role, site_missing) is said plainly.
 */
import { useState } from 'preact/hooks';
import type { DiscordanceReason } from '../api/types';
import { useProfile, useServices } from '../app';
import { compileForm } from '../form/engine';
import { dateTime, t, tIf } from '../i18n';
import { href } from '../router';
import { ApiProblem, Data, Loading, More, PageTitle, Tx, usePaged } from '../ui';
import { questionLabel } from './fields';

/** "D2 · Right eye (OD): DR severity" — the rule's id is the study's own label. */
export function ReasonText({ reason }: { reason: DiscordanceReason }) {
  const { study } = useProfile();
  const cq = compileForm(study.form).byKey.get(reason.question);
  return (
    <>
      <Data>{reason.rule}</Data> · {reason.eye ? `${t(`common.eye.${reason.eye}`)}: ` : ''}
      {cq ? questionLabel(cq.question) : <Data>{reason.question}</Data>}
    </>
  );
}

export const priorityText = (p: string) => tIf(`adj.priority.${p}`) ?? p;

export function AdjudicationList() {
  const { api } = useServices();
  const [status, setStatus] = useState<'open' | 'resolved'>('open');
  const list = usePaged((cursor) => api.adjudications({ status, cursor, limit: 25 }), [status]);
  const { items, error } = list;
  return (
    <div class="page adjudications">
      <PageTitle title={t('adj.listTitle')}>{t('adj.listTitle')}</PageTitle>
      <fieldset class="segmented">
        <legend>{t('home.filter')}</legend>
        {(['open', 'resolved'] as const).map((s) => (
          <label key={s}>
            <input type="radio" name="adj-filter" value={s} checked={status === s} onChange={() => setStatus(s)} />
            {t(s === 'open' ? 'adj.filter.open' : 'adj.filter.resolved')}
          </label>
        ))}
      </fieldset>
      {error && <ApiProblem error={error} retry={error.status === 403 ? undefined : list.reload} />}
      {items === undefined ? (
        !error && <Loading />
      ) : items.length === 0 ? (
        <p>{t('adj.empty')}</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{t('adj.col.case')}</th>
              <th scope="col">{t('adj.col.priority')}</th>
              <th scope="col">{t('adj.col.reasons')}</th>
              <th scope="col">{t(status === 'open' ? 'adj.col.opened' : 'adj.col.resolved')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.caseId} class={`priority-${a.priority}`}>
                <th scope="row">
                  <a href={href({ page: 'adjudication', caseId: a.caseId })}>
                    <Tx k="adj.open.case" params={{ caseId: <Data>{a.caseId}</Data> }} />
                  </a>
                </th>
                <td>{priorityText(a.priority)}</td>
                <td>
                  <ul class="plain">
                    {a.reasons.map((r, i) => (
                      <li key={i}>
                        <ReasonText reason={r} />
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{dateTime(status === 'open' ? a.openedAt : a.resolvedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <More list={list} />
    </div>
  );
}
