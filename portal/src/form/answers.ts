/**
 * The diagnosis form's answers on the page: which questions show (the server's visibility rules,
 * through the engine), what is sent (hidden answers left out, as the server requires), and where
 * each validation message goes.
 *
 * The page keeps every answer the reader gave, also one that a later choice hid ("ungradable"
 * hides the grading questions): choosing "gradable" again brings it back. What is saved or
 * submitted is only what is visible, decided in form order exactly as the server decides it.
 */
import { caseEyes, compileForm, eyeContext, factContext, walkScope, type AnswerValue, type CaseFacts, type CompiledQuestion, type Eye, type Form, type NormalisedAnswers, type Section } from './engine';

/** A field: one question of one eye, or of the participant scope. */
export interface FieldRef {
  eye?: Eye;
  key: string;
}

export interface RawAnswers {
  eyes: Partial<Record<Eye, Record<string, AnswerValue>>>;
  participant: Record<string, AnswerValue>;
}

export const emptyAnswers = (): RawAnswers => ({ eyes: {}, participant: {} });

/** The dotted path the validator and the server use: `eyes.OD.icdrLevel`, `participant.referral`. */
export const pathOf = (f: FieldRef): string => (f.eye ? `eyes.${f.eye}.${f.key}` : `participant.${f.key}`);

/** A DOM id for a field's control (paths hold dots). */
export const fieldId = (f: FieldRef): string => `q-${f.eye ?? 'P'}-${f.key}`;

export function copyAnswers(a: RawAnswers | NormalisedAnswers): RawAnswers {
  return JSON.parse(JSON.stringify({ eyes: a.eyes ?? {}, participant: a.participant ?? {} })) as RawAnswers;
}

/**
 * One answer set, or cleared: an empty text, an empty choice list or `undefined` leaves the
 * question unanswered (the server treats absent as unanswered and refuses blank values).
 */
export function withAnswer(a: RawAnswers, f: FieldRef, value: AnswerValue | undefined): RawAnswers {
  const next = copyAnswers(a);
  const scope = f.eye ? (next.eyes[f.eye] ??= {}) : next.participant;
  const blank = value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);
  if (blank) delete scope[f.key];
  else scope[f.key] = value;
  if (f.eye && Object.keys(next.eyes[f.eye]!).length === 0) delete next.eyes[f.eye];
  return next;
}

export function answerOf(a: RawAnswers, f: FieldRef): AnswerValue | undefined {
  const scope = f.eye ? a.eyes[f.eye] : a.participant;
  return scope && Object.prototype.hasOwnProperty.call(scope, f.key) ? scope[f.key] : undefined;
}

export interface ShownSection {
  section: Section;
  questions: CompiledQuestion[];
}

export interface Layout {
  eyes: Eye[];
  /** Per eye, the per-eye sections with their visible questions (empty sections left out). */
  eye: Partial<Record<Eye, ShownSection[]>>;
  participant: ShownSection[];
  /** Answers as they would be sent: visible ones only. */
  effective: NormalisedAnswers;
}

function sectionsOf(form: Form, perEye: boolean, visible: ReadonlySet<string>): ShownSection[] {
  const cf = compileForm(form);
  return form.sections
    .filter((s) => s.perEye === perEye)
    .map((section) => ({
      section,
      // Derived items are computed by the platform: never a field on the page.
      questions: section.questions.filter((q) => q.type !== 'derived' && visible.has(q.key)).map((q) => cf.byKey.get(q.key)!),
    }))
    .filter((s) => s.questions.length > 0);
}

/**
 * What the page shows and sends for these answers: the participant scope first, then each eye with
 * the participant's answers and its own OCT fact in context, as the server's validator walks them.
 */
export function layoutOf(form: Form, raw: RawAnswers, facts: CaseFacts): Layout {
  const cf = compileForm(form);
  const shownP = new Set<string>();
  const participant = walkScope(cf.participant, factContext(facts), (cq, visible) => {
    if (!visible) return undefined;
    shownP.add(cq.question.key);
    return raw.participant[cq.question.key];
  });
  const eyes = caseEyes(form, facts);
  const effective: NormalisedAnswers = { eyes: {}, participant: participant.answers };
  const eye: Layout['eye'] = {};
  for (const e of eyes) {
    const shown = new Set<string>();
    const scope = raw.eyes[e] ?? {};
    const walked = walkScope(cf.eye, eyeContext(participant.context, facts, e), (cq, visible) => {
      if (!visible) return undefined;
      shown.add(cq.question.key);
      return scope[cq.question.key];
    });
    eye[e] = sectionsOf(form, true, shown);
    if (Object.keys(walked.answers).length > 0) effective.eyes[e] = walked.answers;
  }
  return { eyes, eye, participant: sectionsOf(form, false, shownP), effective };
}

export interface FieldProblem {
  rule: string;
  message: string;
  /** `client`: found by the engine on the page; `server`: the API's answer. */
  source: 'client' | 'server';
}

/**
 * Validation errors by field path. The server prefixes its paths with `answers.` (the body's
 * field); the engine does not. `$` and bare `answers` are problems of the whole form.
 */
export function problemsByPath(errors: ReadonlyArray<{ path: string; rule: string; message: string }>, source: FieldProblem['source']): Record<string, FieldProblem> {
  const out: Record<string, FieldProblem> = {};
  for (const e of errors) {
    const path = e.path === 'answers' || e.path === '$' ? '$' : e.path.replace(/^answers\./, '');
    out[path] ??= { rule: e.rule, message: e.message, source };
  }
  return out;
}

/** The same answers (as sent)? Key order does not matter; the validator normalises multi order. */
export function sameAnswers(a: NormalisedAnswers, b: NormalisedAnswers): boolean {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(canon({ eyes: a.eyes ?? {}, participant: a.participant ?? {} })) === JSON.stringify(canon({ eyes: b.eyes ?? {}, participant: b.participant ?? {} }));
}

/** The fields whose (sent) answers differ between two answer sets, in no particular order. */
export function differingFields(a: NormalisedAnswers, b: NormalisedAnswers): FieldRef[] {
  const out: FieldRef[] = [];
  const compare = (x: Record<string, AnswerValue> = {}, y: Record<string, AnswerValue> = {}, eye?: Eye) => {
    for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (JSON.stringify(x[key]) !== JSON.stringify(y[key])) out.push(eye ? { eye, key } : { key });
    }
  };
  compare(a.participant, b.participant);
  for (const eye of new Set([...Object.keys(a.eyes ?? {}), ...Object.keys(b.eyes ?? {})]) as Set<Eye>) compare(a.eyes?.[eye], b.eyes?.[eye], eye);
  return out;
}
