/**
 * One question as a form control, from the study's form: radio buttons for single, ordinal and
 * yes/no questions, check boxes for multi-choice, a number box (with "cannot be assessed" where the
 * form allows it) and a text area. Labels and option labels come from the form in the page's
 * language. Native controls only, so every question works from the keyboard.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AnswerValue, CompiledQuestion, Question } from '../form/engine';
import { fieldId, type FieldRef } from '../form/answers';
import { label, num, problemText, t } from '../i18n';

export interface FieldProps {
  cq: CompiledQuestion;
  field: FieldRef;
  value: AnswerValue | undefined;
  problem?: { rule: string };
  disabled?: boolean;
  onChange: (value: AnswerValue | undefined) => void;
  /** Extra text under the question (e.g. the other version's answer during a conflict). */
  note?: string;
  /** Replaces the question's label (e.g. inside the adjudication table). */
  legend?: string;
}

export const questionLabel = (q: Question) => label(q.label, q.key);

/** How an answer reads on the page: option labels, yes/no, numbers in the page's format. */
export function answerText(cq: CompiledQuestion, value: AnswerValue | undefined): string {
  if (value === undefined) return t('read.unanswered');
  const q = cq.question;
  const option = (v: unknown) => {
    const o = cq.options?.find((x) => x.value === v);
    return o ? label(o.label, String(o.value)) : String(v);
  };
  if (Array.isArray(value)) return value.map(option).join(', ');
  if (q.type === 'bool') return value === true ? t('common.yes') : t('common.no');
  if (q.type === 'number') return value === 'unable' ? t('form.unable') : typeof value === 'number' ? num(value, { maximumFractionDigits: 6 }) : String(value);
  if (cq.options) return option(value);
  return String(value);
}

function Problem({ id, rule, q }: { id: string; rule: string; q: Question }) {
  return (
    <p class="field-error" id={id}>
      {problemText(rule, q)}
    </p>
  );
}

/** Under a question: the note (another version's answer), then the problem. */
function Footer({ id, note, problem, q }: { id: string; note?: string; problem?: { rule: string }; q: Question }) {
  return (
    <>
      {note && (
        <p class="note" id={`${id}-note`}>
          {note}
        </p>
      )}
      {problem && <Problem id={`${id}-error`} rule={problem.rule} q={q} />}
    </>
  );
}

/** The ids a control's aria-describedby names: its hint, its note and its problem, those that show. */
const describedBy = (id: string, parts: { hint?: string; note?: string; problem?: unknown }) =>
  [parts.hint, parts.problem ? `${id}-error` : '', parts.note ? `${id}-note` : ''].filter(Boolean).join(' ') || undefined;

const required = (q: Question) => 'required' in q && q.required === true;

function Legend({ q, legend }: { q: Question; legend?: string }) {
  return (
    <>
      {legend ?? questionLabel(q)}
      {required(q) && <span class="required"> ({t('form.required')})</span>}
    </>
  );
}

function Choices({ cq, field, value, problem, disabled, onChange, note, legend }: FieldProps) {
  const q = cq.question;
  const id = fieldId(field);
  const multi = q.type === 'multi';
  const entries = q.type === 'bool' ? [{ value: true, text: t('common.yes') }, { value: false, text: t('common.no') }] : (cq.options ?? []).map((o) => ({ value: o.value, text: label(o.label, String(o.value)) }));
  const chosen = (v: unknown) => (multi ? Array.isArray(value) && value.includes(v as string) : value === v);
  return (
    <fieldset class={`question ${problem ? 'invalid' : ''}`} id={`${id}-group`} aria-describedby={describedBy(id, { note, problem })} aria-invalid={problem ? true : undefined}>
      <legend>
        <Legend q={q} legend={legend} />
      </legend>
      <div class="options">
        {entries.map((e, i) => (
          <label key={String(e.value)} class="option">
            <input
              id={i === 0 ? id : undefined}
              type={multi ? 'checkbox' : 'radio'}
              name={id}
              value={String(e.value)}
              checked={chosen(e.value)}
              disabled={disabled}
              onChange={(ev) => {
                const on = (ev.target as HTMLInputElement).checked;
                if (!multi) return onChange(e.value as AnswerValue);
                const list = Array.isArray(value) ? value.filter((v) => v !== e.value) : [];
                // Form order, as the server normalises multi answers.
                const next = entries.filter((x) => x.value === e.value ? on : list.includes(x.value as string)).map((x) => x.value as string);
                onChange(next);
              }}
            />
            <span>{e.text}</span>
          </label>
        ))}
      </div>
      {!multi && value !== undefined && !disabled && (
        <button type="button" class="link-button clear" onClick={() => onChange(undefined)}>
          {t('common.clear')}
        </button>
      )}
      <Footer id={id} note={note} problem={problem} q={q} />
    </fieldset>
  );
}

/** Text as typed; the answer is the number it reads as (a comma is taken as the decimal point). */
function parseNumber(text: string): AnswerValue | undefined {
  const s = text.trim().replace(',', '.');
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s) ? n : text.trim();
}

function NumberField({ cq, field, value, problem, disabled, onChange, note, legend }: FieldProps) {
  const q = cq.question as Extract<Question, { type: 'number' }>;
  const id = fieldId(field);
  const unable = value === 'unable';
  const shown = (v: AnswerValue | undefined) => (v === undefined || v === 'unable' ? '' : String(v));
  const [text, setText] = useState(shown(value));
  // A value that changes from outside (a reload, the other version taken) replaces the text.
  useEffect(() => {
    if (parseNumber(text) !== value && !(value === undefined && text.trim() === '')) setText(shown(value));
  }, [value]);
  const hint = q.step !== undefined ? t('form.numberStepHint', { min: num(q.min), max: num(q.max), step: num(q.step) }) : t('form.numberHint', { min: num(q.min), max: num(q.max) });
  return (
    <div class={`question ${problem ? 'invalid' : ''}`} id={`${id}-group`}>
      <label for={id} class="question-label">
        <Legend q={q} legend={legend} />
      </label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        autoComplete="off"
        value={unable ? '' : text}
        disabled={disabled || unable}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy(id, { hint: `${id}-hint`, note, problem })}
        onInput={(e) => {
          const next = (e.target as HTMLInputElement).value;
          setText(next);
          onChange(parseNumber(next));
        }}
      />
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
      {q.allowUnable && (
        <label class="option">
          <input type="checkbox" checked={unable} disabled={disabled} onChange={(e) => onChange((e.target as HTMLInputElement).checked ? 'unable' : parseNumber(text))} />
          <span>{t('form.unable')}</span>
        </label>
      )}
      <Footer id={id} note={note} problem={problem} q={q} />
    </div>
  );
}

function TextField({ cq, field, value, problem, disabled, onChange, note, legend }: FieldProps) {
  const q = cq.question as Extract<Question, { type: 'text' }>;
  const id = fieldId(field);
  const text = typeof value === 'string' ? value : '';
  return (
    <div class={`question ${problem ? 'invalid' : ''}`} id={`${id}-group`}>
      <label for={id} class="question-label">
        <Legend q={q} legend={legend} />
      </label>
      <textarea
        id={id}
        rows={3}
        maxLength={q.maxLength}
        value={text}
        disabled={disabled}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy(id, { hint: `${id}-count`, note, problem })}
        onInput={(e) => onChange((e.target as HTMLTextAreaElement).value)}
      />
      <p class="hint" id={`${id}-count`}>
        {t('form.textCount', { count: num(text.length), max: num(q.maxLength) })}
      </p>
      <Footer id={id} note={note} problem={problem} q={q} />
    </div>
  );
}

export function QuestionField(props: FieldProps) {
  switch (props.cq.question.type) {
    case 'single':
    case 'ordinal':
    case 'multi':
    case 'bool':
      return <Choices {...props} />;
    case 'number':
      return <NumberField {...props} />;
    case 'text':
      return <TextField {...props} />;
    case 'derived':
      return null;
  }
}
