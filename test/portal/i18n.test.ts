/**
 * Korean and English: the same keys and placeholders in both, no English left in Korean, every
 * error code the API can answer worded in both, and Intl formatting in the page's language.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { apiErrorText, authErrorText, dateTime, fill, lang, messages, num, pickLang, problemText, SAME_IN_BOTH, t, type MessageKey } from '../../portal/src/i18n';
import { DEFAULT_FORM } from '../../domain/reading-config';

const ROOT = join(__dirname, '..', '..');

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(name) ? [p] : [];
  });
}

afterEach(() => {
  lang.value = 'en';
});

describe('message tables', () => {
  it('have the same keys and placeholders in both languages, and no English left in Korean', () => {
    const en = messages.en;
    const ko = messages.ko;
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const key of Object.keys(en) as MessageKey[]) {
      expect([key, holes(ko[key])]).toEqual([key, holes(en[key])]);
      if (!SAME_IN_BOTH.includes(key)) expect([key, ko[key]]).not.toEqual([key, en[key]]);
      // Korean text: at least one Hangul syllable outside the placeholders (not English with a Korean word).
      if (!SAME_IN_BOTH.includes(key) && !['app.switchTo'].includes(key)) expect([key, /[가-힣]/.test(ko[key].replace(/\{\w+\}/g, ''))]).toEqual([key, true]);
    }
  });

  it('has every key the pages name (a literal key in the code that the table lacks fails here and in tsc)', () => {
    const used = new Set<string>();
    for (const f of files(join(ROOT, 'portal', 'src'), /\.tsx?$/)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z][\w.]+)'/g)) used.add(m[1]);
      for (const m of readFileSync(f, 'utf8').matchAll(/\bk="([\w.]+)"/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    expect([...used].filter((k) => !(k in messages.en))).toEqual([]);
  });

  it('fills placeholders and picks the language: the person’s choice, then the browser’s, then English', () => {
    expect(fill('Case {ref} of {n}', { ref: 'abc', n: 3 })).toBe('Case abc of 3');
    expect(fill('{missing}', {})).toBe('{missing}');
    expect(pickLang(null, ['fr-FR', 'ko-KR', 'en'])).toBe('ko');
    expect(pickLang('en', ['ko-KR'])).toBe('en');
    expect(pickLang(undefined, ['de'])).toBe('en');
    lang.value = 'ko';
    expect(t('read.title', { ref: 'abcdefghijkl' })).toBe('증례 abcdefghijkl');
  });

  it('formats dates and numbers through Intl in the page language', () => {
    lang.value = 'ko';
    expect(dateTime('2026-12-05T09:30:00.000Z')).toMatch(/2026\. 12\. 5\./);
    expect(num(12345.5)).toBe('12,345.5');
    lang.value = 'en';
    expect(dateTime('2026-12-05T09:30:00.000Z')).toMatch(/Dec 5, 2026/);
  });
});

describe('errors in words', () => {
  /** Every error code the reading API can answer: the second argument of the error classes in lambda/. */
  function serverCodes(): string[] {
    const codes = new Set<string>(['validation_failed', 'unauthorized', 'forbidden', 'not_found', 'idempotency_key_reused', 'version_mismatch', 'precondition_required', 'internal']);
    // Refusal codes live in the functions and, for access rules, in domain/ (returned as `{ code }`).
    for (const f of [...files(join(ROOT, 'lambda'), /\.ts$/), ...files(join(ROOT, 'domain'), /\.ts$/)]) {
      const text = readFileSync(f, 'utf8');
      for (const line of text.split('\n').filter((l) => /new (?:ForbiddenError|ConflictError)\(/.test(l))) for (const m of line.matchAll(/,\s*'([a-z][a-z_]+)'\)/g)) codes.add(m[1]);
      for (const m of text.matchAll(/new AppError\(\s*\d{3},\s*'([a-z_]+)'/g)) codes.add(m[1]);
      for (const m of text.matchAll(/problem === 'missing' \? '([a-z_]+)' : '([a-z_]+)'/g)) codes.add(m[1]).add(m[2]);
      for (const m of text.matchAll(/return \{ code: '([a-z][a-z_]+)'/g)) codes.add(m[1]);
    }
    return [...codes].sort();
  }

  it('words every error code the API can answer, in both languages, without the server’s English', () => {
    // The withdrawal's codes (issue 9, item 13), the reader's 410 among them.
    const codes = [...serverCodes(), 'assignment_withdrawn'];
    expect(codes).toEqual(expect.arrayContaining(['already_withdrawn', 'read_submitted']));
    expect(codes).toEqual(expect.arrayContaining(['workload_cap', 'busy', 'site_missing', 'site_invalid', 'dual_role', 'conflict_of_interest', 'read_locked', 'already_submitted', 'already_resolved', 'streaming_unavailable']));
    const generic = new Set([t('api.error.other', { code: 'x' })]);
    for (const code of codes) {
      for (const l of ['en', 'ko'] as const) {
        lang.value = l;
        const text = apiErrorText({ status: code === 'internal' ? 500 : 400, code });
        // Either its own words or the generic server/other message naming the code.
        expect([code, l, text.length > 10]).toEqual([code, l, true]);
        if (l === 'ko') expect([code, /[가-힣]/.test(text)]).toEqual([code, true]);
      }
      lang.value = 'en';
      // Codes a person can act on have their own message (not the generic "refused (code)").
      if (!['internal', 'export_exists', 'no_route', 'forwarded'].includes(code)) expect([code, generic.has(apiErrorText({ status: 400, code }).replace(code, 'x'))]).toEqual([code, false]);
    }
  });

  it("words Cognito's exceptions by their meaning (NotAuthorized's several meanings told apart)", () => {
    expect(authErrorText({ code: 'NotAuthorizedException', message: 'Incorrect username or password.' })).toBe(t('auth.error.wrongCredentials'));
    expect(authErrorText({ code: 'NotAuthorizedException', message: 'Invalid session for the user, session is expired.' })).toBe(t('auth.error.stepExpired'));
    expect(authErrorText({ code: 'NotAuthorizedException', message: 'User is disabled.' })).toBe(t('auth.error.disabled'));
    expect(authErrorText({ code: 'NotAuthorizedException', message: 'Password attempts exceeded' })).toBe(t('auth.error.tooMany'));
    expect(authErrorText({ code: 'UserNotFoundException' })).toBe(t('auth.error.wrongCredentials')); // no user enumeration
    expect(authErrorText({ code: 'CodeMismatchException' })).toBe(t('auth.error.codeMismatch'));
    expect(authErrorText({ code: 'EnableSoftwareTokenMFAException' })).toBe(t('auth.error.setupCode'));
    expect(authErrorText({ code: 'InvalidPasswordException' })).toBe(t('auth.error.passwordPolicy'));
    expect(authErrorText({ code: 'NetworkError' })).toBe(t('auth.error.network'));
    expect(authErrorText({ code: 'DifferentUser' }, 'reader.kim')).toContain('reader.kim');
    expect(authErrorText({ code: 'SomethingNew' })).toContain('SomethingNew');
  });

  it("words a field's problem with the question's own limits", () => {
    const vcdr = DEFAULT_FORM.sections.flatMap((s) => s.questions).find((q) => q.key === 'vcdr')!;
    const text = DEFAULT_FORM.sections.flatMap((s) => s.questions).find((q) => q.key === 'otherText')!;
    expect(problemText('range', vcdr)).toBe('Enter a number from 0 to 1.');
    expect(problemText('step', vcdr)).toBe('Enter a multiple of 0.05 (from 0).');
    expect(problemText('type', vcdr)).toBe('Enter a number.');
    expect(problemText('maxLength', text)).toBe('Use at most 300 characters.');
    lang.value = 'ko';
    expect(problemText('required', vcdr)).toBe('이 질문에 답하세요.');
  });
});
