/**
 * The reading page (`#/read/<ref>`): the image session beside the diagnosis form. The form is the
 * study's (GET /study), per eye then for both eyes, shown and checked by the engine the server
 * uses; drafts save themselves; Submit sends everything with an idempotency key. The state machine
 * is form/read-controller.ts; this file only draws it.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { TargetedEvent } from 'preact';
import { asApiError, type ApiError } from '../api/client';
import { useProfile, useServices } from '../app';
import { answerOf, differingFields, fieldId, pathOf, type FieldRef } from '../form/answers';
import { ReadController, type ReadStatus } from '../form/read-controller';
import type { CompiledQuestion, Eye } from '../form/engine';
import { label, problemText, t, tIf, time, type MessageKey } from '../i18n';
import { go, href } from '../router';
import { Alert, ApiProblem, Busy, Data, Jump, Loading, PageTitle, Tx } from '../ui';
import { answerText, QuestionField, questionLabel } from './fields';
import { StreamingPanel } from './streaming-panel';

const STATE_KEYS: Record<ReadStatus, MessageKey> = {
  loading: 'read.state.loading',
  clean: 'read.state.clean',
  dirty: 'read.state.dirty',
  invalid: 'read.state.invalid',
  saving: 'read.state.saving',
  offline: 'read.state.offline',
  conflict: 'read.state.conflict',
  submitting: 'read.state.submitting',
  submitted: 'read.state.submitted',
  refused: 'read.state.refused',
  missing: 'read.state.refused',
};

function SaveState({ c }: { c: ReadController }) {
  const status: ReadStatus = c.status.value;
  const savedAt = c.savedAt.value;
  let text: string;
  if (status === 'clean') text = savedAt ? t('read.state.savedAt', { time: time(savedAt) }) : t('read.state.clean');
  else if ((status === 'dirty' || status === 'invalid') && c.amending.value) text = t('read.state.amending');
  else text = t(STATE_KEYS[status]);
  return (
    <p class={`save-state ${status}`} role="status" aria-live="polite">
      {text}
    </p>
  );
}

/** Every problem the page shows, as links to their fields (after a refused submit). */
function ErrorSummary({ c, byPath }: { c: ReadController; byPath: Map<string, { cq: CompiledQuestion; field: FieldRef }> }) {
  const ref = useRef<HTMLDivElement>(null);
  // In the order the form shows its fields (the engine reports the participant scope first).
  const order = [...byPath.keys()];
  const rank = (path: string) => (order.includes(path) ? order.indexOf(path) : -1);
  const problems = Object.entries(c.problems.value).sort(([a], [b]) => rank(a) - rank(b));
  // After a refused submit (or save) only: while the reader types, messages stay on the fields and
  // the focus stays where it is.
  const refusedSubmit = c.submitRefused.value;
  const show = problems.length > 0 && (refusedSubmit || c.status.value === 'refused');
  const attempt = c.submitAttempts.value;
  useEffect(() => {
    if (show) ref.current?.focus();
  }, [attempt]);
  if (!show) return null;
  return (
    <div class="message error summary" role="alert" tabIndex={-1} ref={ref}>
      <p>{t('read.errorSummary')}</p>
      <ul>
        {problems.map(([path, p]) => {
          const at = byPath.get(path);
          if (!at) return <li key={path}>{t('read.formProblem', { rule: p.rule })}</li>;
          const where = at.field.eye ? t(`common.eye.${at.field.eye}`) : t('common.participant');
          return (
            <li key={path}>
              <Jump to={fieldId(at.field)}>
                {where}: {questionLabel(at.cq.question)} – {problemText(p.rule, at.cq.question)}
              </Jump>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function Conflict({ c, byPath }: { c: ReadController; byPath: Map<string, { cq: CompiledQuestion; field: FieldRef }> }) {
  const theirs = c.theirs.value;
  const layout = c.layout.value;
  if (c.status.value !== 'conflict' || !theirs || !layout) return null;
  const differs = differingFields(layout.effective, theirs.answers);
  return (
    <div class="message warning conflict-banner" role="alert">
      <h2>{t('read.conflictTitle')}</h2>
      <p>{t('read.conflictIntro', { version: theirs.version })}</p>
      {differs.length > 0 && (
        <>
          <p>{t('read.conflictDiffers')}</p>
          <ul>
            {differs.map((f) => {
              const at = byPath.get(pathOf(f));
              if (!at) return null;
              const where = f.eye ? t(`common.eye.${f.eye}`) : t('common.participant');
              const theirValue = f.eye ? theirs.answers.eyes[f.eye]?.[f.key] : theirs.answers.participant[f.key];
              return (
                <li key={pathOf(f)}>
                  <Jump to={fieldId(f)}>
                    {where}: {questionLabel(at.cq.question)}
                  </Jump>{' '}
                  – {t('read.conflictTheirs', { value: answerText(at.cq, theirValue) })}
                </li>
              );
            })}
          </ul>
        </>
      )}
      <div class="actions">
        <button type="button" class="primary" onClick={() => c.resolveConflict('mine')}>
          {t('read.conflictKeepMine')}
        </button>
        <button type="button" onClick={() => c.resolveConflict('theirs')}>
          {t('read.conflictTakeTheirs')}
        </button>
      </div>
    </div>
  );
}

function FormBody({ c }: { c: ReadController }) {
  const layout = c.layout.value!;
  const answers = c.answers.value;
  const problems = c.problems.value;
  const disabled = !c.editable.value;
  const theirs = c.status.value === 'conflict' ? c.theirs.value : undefined;
  const field = (cq: CompiledQuestion, eye?: Eye) => {
    const f: FieldRef = eye ? { eye, key: cq.question.key } : { key: cq.question.key };
    const theirValue = theirs ? (eye ? theirs.answers.eyes[eye]?.[f.key] : theirs.answers.participant[f.key]) : undefined;
    const mine = answerOf(answers, f);
    const note = theirs && JSON.stringify(theirValue) !== JSON.stringify(mine) ? t('read.conflictTheirs', { value: answerText(cq, theirValue) }) : undefined;
    return (
      <QuestionField
        key={pathOf(f)}
        cq={cq}
        field={f}
        value={mine}
        problem={problems[pathOf(f)]}
        disabled={disabled}
        note={note}
        onChange={(v) => {
          c.clearProblem(f);
          c.set(f, v);
        }}
      />
    );
  };
  return (
    <>
      <nav class="form-nav" aria-label={t('read.eyeNav')}>
        <ul>
          {layout.eyes.map((eye) => (
            <li key={eye}>
              <Jump to={`form-${eye}`}>{t(`common.eye.${eye}`)}</Jump>
            </li>
          ))}
          {layout.participant.length > 0 && (
            <li>
              <Jump to="form-P">{t('common.participant')}</Jump>
            </li>
          )}
        </ul>
      </nav>
      {layout.eyes.map((eye) => (
        <section key={eye} class="eye" id={`form-${eye}`} tabIndex={-1} aria-labelledby={`form-${eye}-title`}>
          <h3 id={`form-${eye}-title`}>{t(`common.eye.${eye}`)}</h3>
          {(layout.eye[eye] ?? []).map((s) => (
            <section key={s.section.key} class="form-section" aria-labelledby={`s-${eye}-${s.section.key}`}>
              <h4 id={`s-${eye}-${s.section.key}`}>{label(s.section.label, s.section.key)}</h4>
              {s.questions.map((cq) => field(cq, eye))}
            </section>
          ))}
        </section>
      ))}
      {layout.participant.length > 0 && (
        <section class="eye" id="form-P" tabIndex={-1} aria-labelledby="form-P-title">
          <h3 id="form-P-title">{t('common.participant')}</h3>
          {layout.participant.map((s) => (
            <section key={s.section.key} class="form-section" aria-labelledby={`s-P-${s.section.key}`}>
              <h4 id={`s-P-${s.section.key}`}>{label(s.section.label, s.section.key)}</h4>
              {s.questions.map((cq) => field(cq))}
            </section>
          ))}
        </section>
      )}
    </>
  );
}

function CaseContext({ context }: { context: Record<string, string | number | boolean | null> }) {
  const entries = Object.entries(context);
  if (entries.length === 0) return null;
  return (
    <section class="context" aria-labelledby="context-title">
      <h2 id="context-title">{t('read.context')}</h2>
      <dl>
        {entries.map(([k, v]) => (
          <div key={k}>
            <dt>{tIf(`context.${k}`) ?? <Data>{k}</Data>}</dt>
            <dd>
              <Data>{v === null ? '–' : typeof v === 'boolean' ? (v ? t('common.yes') : t('common.no')) : String(v)}</Data>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

export function Reading({ ref_ }: { ref_: string }) {
  const { api, session, storage } = useServices();
  const { study } = useProfile();
  const c = useMemo(() => new ReadController(api, study.form, ref_, session.user!.sub, storage), [ref_]);
  const [nextBusy, setNextBusy] = useState(false);
  const [nextError, setNextError] = useState<ApiError | undefined>(undefined);
  useEffect(() => {
    void c.load();
    // Leaving the page: save what is pending now (the local copy keeps it if that fails).
    const flush = () => void c.flush();
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      void c.flush();
      c.dispose();
    };
  }, [c]);

  const layout = c.layout.value;
  const server = c.server.value;
  const status = c.status.value;
  const byPath = useMemo(() => {
    const m = new Map<string, { cq: CompiledQuestion; field: FieldRef }>();
    if (!layout) return m;
    for (const eye of layout.eyes) for (const s of layout.eye[eye] ?? []) for (const cq of s.questions) m.set(`eyes.${eye}.${cq.question.key}`, { cq, field: { eye, key: cq.question.key } });
    for (const s of layout.participant) for (const cq of s.questions) m.set(`participant.${cq.question.key}`, { cq, field: { key: cq.question.key } });
    return m;
  }, [layout]);

  const submit = async (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    await c.submit();
  };
  const readNext = async () => {
    setNextBusy(true);
    setNextError(undefined);
    try {
      const answer = await api.next();
      // Nothing left: home says so and shows the queue.
      go(answer.assignment ? { page: 'read', ref: answer.assignment.ref } : { page: 'home' });
    } catch (e) {
      setNextError(asApiError(e));
    } finally {
      setNextBusy(false);
    }
  };

  const title = t('read.title', { ref: ref_ });
  if (status === 'missing') {
    return (
      <div class="page">
        <PageTitle title={title}>
          <Tx k="read.title" params={{ ref: <Data>{ref_}</Data> }} />
        </PageTitle>
        <Alert>{t('read.missing')}</Alert>
        <a href={href({ page: 'home' })}>{t('read.backHome')}</a>
      </div>
    );
  }
  const submitted = status === 'submitted';
  const failure = c.failure.value;
  return (
    <div class="page reading">
      <div class="reading-head">
        <PageTitle title={title}>
          <Tx k="read.title" params={{ ref: <Data>{ref_}</Data> }} />
        </PageTitle>
        <Jump to="diagnosis" class="skip-inline">
          {t('read.skipToForm')}
        </Jump>
      </div>
      <div class="split">
        <div class="images" aria-label={t('read.images')} role="region">
          <StreamingPanel id="read-stream" issue={() => api.readSession(ref_)} />
        </div>
        <form class="diagnosis" id="diagnosis" tabIndex={-1} aria-labelledby="diagnosis-title" onSubmit={(e) => void submit(e)} noValidate>
          <div class="form-head">
            <h2 id="diagnosis-title">{t('read.form')}</h2>
            <SaveState c={c} />
          </div>
          {server?.context && <CaseContext context={server.context} />}
          {!layout ? (
            failure ? <ApiProblem error={failure} retry={() => void c.load()} /> : <Loading />
          ) : (
            <>
              <Conflict c={c} byPath={byPath} />
              <ErrorSummary c={c} byPath={byPath} />
              {status === 'refused' && failure && failure.status !== 400 && <ApiProblem error={failure} />}
              {status === 'offline' && failure && <ApiProblem error={failure} />}
              {!c.editable.value && server?.status === 'submitted' && <Alert kind="info">{t('read.lockedNote')}</Alert>}
              <FormBody c={c} />
              {submitted && c.editable.value && <Alert kind="success">{t('read.submittedNote')}</Alert>}
              <div class="actions sticky">
                {c.editable.value && (
                  <Busy busy={status === 'submitting'} type="submit" class="primary" disabled={status === 'conflict' || status === 'submitted'}>
                    {c.amending.value ? t('read.submitAmendment') : t('read.submit')}
                  </Busy>
                )}
                {server?.status === 'submitted' && (
                  <>
                    <Busy busy={nextBusy} type="button" onClick={() => void readNext()}>
                      {t('read.next')}
                    </Busy>
                    <a href={href({ page: 'home' })}>{t('read.backHome')}</a>
                  </>
                )}
              </div>
              {nextError && <ApiProblem error={nextError} />}
            </>
          )}
        </form>
      </div>
    </div>
  );
}
