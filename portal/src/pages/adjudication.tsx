/**
 * One adjudication (`#/adjudications/<caseId>`): the image session (POST
 * /adjudications/{caseId}/session) beside every read of the case, masked A, B, C… as the API sends
 * them. For each question the reads disagree on, the adjudicator takes a read's answer or enters a
 * value; other questions keep what the reads agree on (or may be changed the same way). A reason
 * code (and a note for "other") goes with the decision; PUT /adjudications/{caseId} carries an
 * Idempotency-Key kept for retries of the same decision.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { TargetedEvent } from 'preact';
import { asApiError, type ApiError } from '../api/client';
import type { AdjudicationDetail, Pick, ReadLabel, ResolveBody } from '../api/types';
import { useProfile, useServices } from '../app';
import { compileForm, type AnswerValue, type CompiledQuestion, type Eye } from '../form/engine';
import { dateTime, t, tIf } from '../i18n';
import { href } from '../router';
import { Alert, ApiProblem, Busy, Data, Loading, PageTitle, Tx } from '../ui';
import { ReasonText, priorityText } from './adjudication-list';
import { answerText, QuestionField, questionLabel } from './fields';
import { StreamingPanel } from './streaming-panel';

type Choice = { kind: 'keep' } | { kind: 'read'; label: ReadLabel } | { kind: 'new'; value: AnswerValue | undefined };

interface Row {
  path: string;
  eye?: Eye;
  cq: CompiledQuestion;
  discordant: boolean;
  values: Partial<Record<ReadLabel, AnswerValue | undefined>>;
}

const reasonText = (code: string) => tIf(`adj.reason.${code}`) ?? code;

/** The questions to decide: every one a read answered or the reads disagree on, in form order. */
export function rowsOf(detail: AdjudicationDetail, questions: ReturnType<typeof compileForm>): Row[] {
  const labels = Object.keys(detail.reads) as ReadLabel[];
  const discordant = new Set(detail.reasons.map((r) => (r.eye ? `eyes.${r.eye}.${r.question}` : `participant.${r.question}`)));
  const rows: Row[] = [];
  const scope = (list: readonly CompiledQuestion[], eye?: Eye) => {
    for (const cq of list) {
      if (cq.question.type === 'derived') continue;
      const path = eye ? `eyes.${eye}.${cq.question.key}` : `participant.${cq.question.key}`;
      const values = Object.fromEntries(labels.map((l) => [l, eye ? detail.reads[l]?.eyes?.[eye]?.[cq.question.key] : detail.reads[l]?.participant?.[cq.question.key]]));
      const answered = Object.values(values).some((v) => v !== undefined);
      if (answered || discordant.has(path)) rows.push({ path, ...(eye ? { eye } : {}), cq, discordant: discordant.has(path), values });
    }
  };
  for (const eye of detail.facts.eyes) scope(questions.eye, eye);
  scope(questions.participant);
  return rows;
}

/** The PUT body for these choices ("keep" is left out: the server keeps what the reads agree on). */
export function resolveBody(rows: readonly Row[], choices: Record<string, Choice | undefined>, reasonCode: string, note: string): ResolveBody {
  const picks: ResolveBody['picks'] = {};
  for (const row of rows) {
    const c = choices[row.path];
    if (!c || c.kind === 'keep') continue;
    const pick: Pick = c.kind === 'read' ? c.label : { value: c.value as Exclude<AnswerValue, undefined> };
    if (row.eye) ((picks.eyes ??= {})[row.eye] ??= {})[row.cq.question.key] = pick;
    else (picks.participant ??= {})[row.cq.question.key] = pick;
  }
  return { picks, reasonCode, ...(note.trim() ? { note: note.trim() } : {}) };
}

function RowView({ row, labels, choice, onChoose, problem, disabled }: { row: Row; labels: ReadLabel[]; choice: Choice | undefined; onChoose: (c: Choice) => void; problem?: string; disabled: boolean }) {
  const id = `pick-${row.path.replace(/\./g, '-')}`;
  const where = row.eye ? t(`common.eye.${row.eye}`) : t('common.participant');
  const options: Array<{ value: string; text: string; choice: Choice }> = [
    ...(row.discordant ? [] : [{ value: 'keep', text: t('adj.keep'), choice: { kind: 'keep' } as Choice }]),
    ...labels.map((l) => ({ value: l, text: `${t('adj.take', { label: l })}: ${answerText(row.cq, row.values[l])}`, choice: { kind: 'read', label: l } as Choice })),
    { value: 'new', text: t('adj.newValue'), choice: { kind: 'new', value: choice?.kind === 'new' ? choice.value : undefined } },
  ];
  const current = choice?.kind === 'read' ? choice.label : choice?.kind;
  return (
    <div class={`adj-row ${row.discordant ? 'discordant' : ''} ${problem ? 'invalid' : ''}`}>
      <fieldset id={`${id}-group`} aria-describedby={problem ? `${id}-error` : undefined} aria-invalid={problem ? true : undefined}>
        <legend>
          {where}: {questionLabel(row.cq.question)}
          {row.discordant && <span class="badge">{t('adj.discordant')}</span>}
        </legend>
        <dl class="reads">
          {labels.map((l) => (
            <div key={l}>
              <dt>{t('adj.read', { label: l })}</dt>
              <dd>{answerText(row.cq, row.values[l])}</dd>
            </div>
          ))}
        </dl>
        <div class="options">
          {options.map((o, i) => (
            <label key={o.value} class="option">
              <input id={i === 0 ? id : undefined} type="radio" name={id} value={o.value} checked={current === o.value} disabled={disabled} onChange={() => onChoose(o.choice)} />
              <span>{o.text}</span>
            </label>
          ))}
        </div>
        {choice?.kind === 'new' && (
          <div class="new-value">
            <QuestionField cq={row.cq} field={{ eye: row.eye, key: `${row.cq.question.key}-new` }} legend={t('adj.newValue')} value={choice.value} disabled={disabled} onChange={(v) => onChoose({ kind: 'new', value: v })} />
          </div>
        )}
        {problem && (
          <p class="field-error" id={`${id}-error`}>
            {problem}
          </p>
        )}
      </fieldset>
    </div>
  );
}

function FinalView({ detail, rows }: { detail: AdjudicationDetail; rows: Row[] }) {
  const final = detail.final!;
  return (
    <section aria-labelledby="final-title">
      <h2 id="final-title">{t('adj.final')}</h2>
      <Alert kind="success">{t('adj.resolved', { time: dateTime(final.decidedAt) })}</Alert>
      {final.reasonCode && (
        <p>
          {t('adj.reasonCode')}: {reasonText(final.reasonCode)}
        </p>
      )}
      {final.note && (
        <p>
          {t('adj.note')}: <Data>{final.note}</Data>
        </p>
      )}
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('adj.question')}</th>
            <th scope="col">{t('adj.final')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const v = row.eye ? final.value.eyes?.[row.eye]?.[row.cq.question.key] : final.value.participant?.[row.cq.question.key];
            return (
              <tr key={row.path}>
                <th scope="row">
                  {row.eye ? t(`common.eye.${row.eye}`) : t('common.participant')}: {questionLabel(row.cq.question)}
                </th>
                <td>{answerText(row.cq, v)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

export function AdjudicationPage({ caseId }: { caseId: string }) {
  const { api } = useServices();
  const { study } = useProfile();
  const questions = useMemo(() => compileForm(study.form), [study.form]);
  const [detail, setDetail] = useState<AdjudicationDetail | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [choices, setChoices] = useState<Record<string, Choice | undefined>>({});
  const [reasonCode, setReasonCode] = useState('');
  const [note, setNote] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [sendError, setSendError] = useState<ApiError | undefined>(undefined);
  const [key, setKey] = useState<{ body: string; key: string } | undefined>(undefined);

  const load = async () => {
    setError(undefined);
    try {
      setDetail(await api.adjudication(caseId));
    } catch (e) {
      setError(asApiError(e));
    }
  };
  useEffect(() => {
    void load();
  }, [caseId]);

  const rows = useMemo(() => (detail ? rowsOf(detail, questions) : []), [detail, questions]);
  const labels = detail ? (Object.keys(detail.reads) as ReadLabel[]) : [];
  const title = t('adj.title', { caseId });

  const choose = (path: string, c: Choice) => {
    setChoices((before) => ({ ...before, [path]: c }));
    setProblems(({ [path]: _gone, ...rest }) => rest);
  };

  const submit = async (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    for (const row of rows) if (row.discordant && !choices[row.path]) found[row.path] = t('adj.pickRequired');
    if (!reasonCode) found.reasonCode = t('adj.reasonRequired');
    if (reasonCode === 'other' && !note.trim()) found.note = t('adj.noteRequired');
    setProblems(found);
    setSendError(undefined);
    if (Object.keys(found).length > 0) {
      document.getElementById(Object.keys(found)[0] === 'reasonCode' ? 'reason-code' : Object.keys(found)[0] === 'note' ? 'adj-note' : `pick-${Object.keys(found)[0].replace(/\./g, '-')}`)?.focus();
      return;
    }
    const body = resolveBody(rows, choices, reasonCode, note);
    const text = JSON.stringify(body);
    // The same decision sent again (after a failure) reuses its key: the server answers as it did.
    const k = key?.body === text ? key.key : api.newKey();
    setKey({ body: text, key: k });
    setBusy(true);
    try {
      await api.resolve(caseId, body, k);
      await load();
    } catch (err) {
      const apiError = asApiError(err);
      setSendError(apiError);
      if (apiError.status === 400) {
        const next: Record<string, string> = {};
        for (const fe of apiError.errors.length ? apiError.errors : [{ path: apiError.field ?? '', rule: apiError.rule ?? '', message: apiError.message }]) {
          const path = fe.path.replace(/^picks\./, '');
          next[path] = fe.rule === 'required' ? t('adj.pickRequired') : t('form.rule.other', { rule: fe.rule });
        }
        setProblems(next);
      }
    } finally {
      setBusy(false);
    }
  };

  // Disagreements and answers that differ first; what every read agrees on folded away.
  const groups = useMemo(() => {
    const same = (row: Row) => new Set(Object.values(row.values).map((v) => JSON.stringify(v))).size === 1;
    return { open: rows.filter((r) => r.discordant || !same(r)), agreeing: rows.filter((r) => !r.discordant && same(r)) };
  }, [rows]);
  const rowView = (row: Row) => (
    <RowView key={row.path} row={row} labels={labels} choice={choices[row.path] ?? (row.discordant ? undefined : { kind: 'keep' })} onChoose={(c) => choose(row.path, c)} problem={problems[row.path]} disabled={busy} />
  );

  const heading = (
    <PageTitle title={title}>
      <Tx k="adj.title" params={{ caseId: <Data>{caseId}</Data> }} />
    </PageTitle>
  );
  if (error) {
    return (
      <div class="page">
        {heading}
        <ApiProblem error={error} retry={error.status >= 500 || error.status === 0 ? () => void load() : undefined} />
        <a href={href({ page: 'adjudications' })}>{t('adj.backToList')}</a>
      </div>
    );
  }
  if (!detail) {
    return (
      <div class="page">
        {heading}
        <Loading />
      </div>
    );
  }
  const resolved = detail.status === 'resolved' && detail.final;
  return (
    <div class="page adjudication">
      {heading}
      <p>
        {t('adj.col.priority')}: {priorityText(detail.priority)} · {t('adj.col.opened')}: {dateTime(detail.openedAt)}
      </p>
      <ul class="reasons">
        {detail.reasons.map((r, i) => (
          <li key={i}>
            <ReasonText reason={r} />
          </li>
        ))}
      </ul>
      <div class="split">
        <div class="images" role="region" aria-label={t('read.images')}>
          {!resolved && <StreamingPanel id="adj-stream" issue={() => api.adjudicationSession(caseId)} />}
        </div>
        <div class="decision">
          {resolved ? (
            <>
              <FinalView detail={detail} rows={rows} />
              <a href={href({ page: 'adjudications' })}>{t('adj.backToList')}</a>
            </>
          ) : (
            <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="decision-title">
              <h2 id="decision-title">{t('adj.final')}</h2>
              <p>{t('adj.intro')}</p>
              {groups.open.map((row) => rowView(row))}
              {groups.agreeing.length > 0 && (
                <details class="agreeing" open={groups.agreeing.some((r) => problems[r.path] || (choices[r.path] && choices[r.path]!.kind !== 'keep'))}>
                  <summary>{t('adj.agreeing', { count: groups.agreeing.length })}</summary>
                  {groups.agreeing.map((row) => rowView(row))}
                </details>
              )}
              <div class={`field ${problems.reasonCode ? 'invalid' : ''}`}>
                <label for="reason-code">{t('adj.reasonCode')}</label>
                <select id="reason-code" value={reasonCode} aria-invalid={problems.reasonCode ? true : undefined} aria-describedby={problems.reasonCode ? 'reason-code-error' : undefined} onChange={(e) => {
                  setReasonCode((e.target as HTMLSelectElement).value);
                  setProblems(({ reasonCode: _gone, ...rest }) => rest);
                }}>
                  <option value="">{t('adj.reasonChoose')}</option>
                  {detail.reasonCodes.map((code) => (
                    <option key={code} value={code}>
                      {reasonText(code)}
                    </option>
                  ))}
                </select>
                {problems.reasonCode && (
                  <p class="field-error" id="reason-code-error">
                    {problems.reasonCode}
                  </p>
                )}
              </div>
              <div class={`field ${problems.note ? 'invalid' : ''}`}>
                <label for="adj-note">{t('adj.note')}</label>
                <textarea id="adj-note" rows={3} maxLength={1000} value={note} aria-describedby={`adj-note-hint${problems.note ? ' adj-note-error' : ''}`} aria-invalid={problems.note ? true : undefined} onInput={(e) => {
                  setNote((e.target as HTMLTextAreaElement).value);
                  setProblems(({ note: _gone, ...rest }) => rest);
                }} />
                <p class="hint" id="adj-note-hint">
                  {t('adj.noteHint')}
                </p>
                {problems.note && (
                  <p class="field-error" id="adj-note-error">
                    {problems.note}
                  </p>
                )}
              </div>
              {sendError && <ApiProblem error={sendError} retry={sendError.code === 'read_changed' ? () => void load() : undefined} />}
              <div class="actions">
                <Busy busy={busy} type="submit" class="primary">
                  {t('adj.resolve')}
                </Busy>
              </div>
            </form>
          )}
        </div>
      </div>
    </div>
  );
}
