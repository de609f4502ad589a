/**
 * One reader's read of one assignment on the page: load, edit, autosave, submit, conflicts.
 *
 * States (`status`):
 *   loading → clean ⇄ dirty → saving → clean          drafts: a debounced PUT (If-Match: the
 *                                                      version edited; an Idempotency-Key per
 *                                                      request, kept for its retries)
 *   dirty → invalid                                    the engine finds a problem in a draft
 *                                                      answer: nothing is sent until it is fixed
 *   saving → offline → saving                          the network failed after the client's
 *                                                      retries: tried again later, same key
 *   saving → conflict                                  412: someone saved another version (another
 *                                                      tab): the server's version is loaded beside
 *                                                      the reader's edits, which stay on screen
 *   → submitting → submitted                          submit: every required answer, every eye
 *                                                      (missing ones: `submitRefused`, listed on
 *                                                      the page; the draft still autosaves)
 *   → refused                                          the server refused (400 with its field
 *                                                      messages, 409 locked); shown, nothing lost
 *
 * Until the server has an answer set, it is also kept in localStorage (per user and ref), so a
 * reload, a crash or an expired sign-in loses nothing; it is removed once a save of exactly those
 * answers is acknowledged. An expired token is renewed by the API client, which waits for the
 * person to sign in again if it must: the save then completes.
 */
import { batch, computed, signal } from '@preact/signals-core';
import { asApiError, type ApiError } from '../api/client';
import type { ReadView } from '../api/types';
import { validateAnswers, type AnswerValue, type CaseFacts, type Form } from './engine';
import { copyAnswers, emptyAnswers, layoutOf, problemsByPath, sameAnswers, withAnswer, type FieldProblem, type FieldRef, type RawAnswers } from './answers';

export type ReadStatus = 'loading' | 'clean' | 'dirty' | 'invalid' | 'saving' | 'offline' | 'conflict' | 'submitting' | 'submitted' | 'refused' | 'missing';

export interface ReadApi {
  read(ref: string): Promise<ReadView>;
  saveRead(ref: string, body: { answers: ReadView['answers']; submit: boolean }, version: number, key: string): Promise<ReadView>;
  newKey(): string;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Autosave this long after the last change. */
export const AUTOSAVE_MS = 1500;
/** After a network failure, try again after this (doubling, at most OFFLINE_MAX_MS). */
export const OFFLINE_RETRY_MS = 5000;
export const OFFLINE_MAX_MS = 60_000;

interface LocalDraft {
  /** The server version these edits started from. */
  baseVersion: number;
  answers: RawAnswers;
  at: number;
}

export const draftKey = (userSub: string, ref: string) => `readroom.draft.${userSub}.${ref}`;

/**
 * The keys of `userSub`'s drafts in this browser: answers the server has not acknowledged yet (a
 * draft is removed once a save of exactly its answers is). Sign-out counts them, asks before it
 * discards them, and removes them, so that no reader's answers stay behind on a shared computer.
 */
export function draftKeysOf(storage: Pick<Storage, 'key' | 'length'>, userSub: string): string[] {
  const prefix = draftKey(userSub, '');
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(prefix)) keys.push(key);
  }
  return keys;
}

export class ReadController {
  readonly status = signal<ReadStatus>('loading');
  /** The server's view of the read (the last one loaded or saved). */
  readonly server = signal<ReadView | undefined>(undefined);
  /** Everything the reader answered, hidden answers included. */
  readonly answers = signal<RawAnswers>(emptyAnswers());
  /** Problems by field path (`$` for the whole form). */
  readonly problems = signal<Record<string, FieldProblem>>({});
  /** On a conflict: the version saved elsewhere. */
  readonly theirs = signal<ReadView | undefined>(undefined);
  /** The last refusal or failure, for the page's message. */
  readonly failure = signal<ApiError | undefined>(undefined);
  readonly savedAt = signal<number | undefined>(undefined);
  /** Submit was refused by the engine's check: the page lists the problems until they are fixed. */
  readonly submitRefused = signal(false);
  /** Counts Submit presses and refused saves (the page moves the focus to its summary on each). */
  readonly submitAttempts = signal(0);

  readonly facts = computed<CaseFacts | undefined>(() => this.server.value?.facts);
  readonly layout = computed(() => (this.facts.value ? layoutOf(this.form, this.answers.value, this.facts.value) : undefined));
  /** Submitted before: further changes are an amendment, sent only with Submit. */
  readonly amending = computed(() => this.server.value?.status === 'submitted');
  readonly editable = computed(() => this.server.value?.editable === true);

  private timer: unknown;
  private submitAttempted = false;
  private offlineMs = OFFLINE_RETRY_MS;
  private inFlight?: Promise<void>;
  /** The last request and its key: a repeat of the same request reuses the key. */
  private lastRequest?: { fingerprint: string; key: string };

  constructor(
    private readonly api: ReadApi,
    private readonly form: Form,
    private readonly ref: string,
    private readonly userSub: string,
    private readonly storage: KeyValueStore,
    private readonly timers: Timers = { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number), now: () => Date.now() },
  ) {}

  async load(): Promise<void> {
    let view: ReadView;
    try {
      view = await this.api.read(this.ref);
    } catch (e) {
      const error = asApiError(e);
      batch(() => {
        this.failure.value = error;
        this.status.value = error.status === 404 ? 'missing' : 'refused';
      });
      return;
    }
    const local = this.localDraft();
    batch(() => {
      this.server.value = view;
      this.failure.value = undefined;
      if (!local || sameAnswers(layoutOf(this.form, local.answers, view.facts).effective, view.answers)) {
        if (local) this.storage.removeItem(this.storageKey);
        this.answers.value = copyAnswers(view.answers);
        this.status.value = view.status === 'submitted' ? 'submitted' : 'clean';
      } else if (local.baseVersion === view.version) {
        // Edits this browser had not saved yet: they are the reader's latest.
        this.answers.value = local.answers;
        this.status.value = 'dirty';
      } else {
        // Saved elsewhere since these edits began: show both, decide nothing for the reader.
        this.answers.value = local.answers;
        this.theirs.value = view;
        this.status.value = 'conflict';
      }
    });
    this.check();
    if (this.status.value === 'dirty') this.schedule(AUTOSAVE_MS);
  }

  /** One answer changed on the page. */
  set(field: FieldRef, value: AnswerValue | undefined): void {
    if (!this.editable.value) return;
    batch(() => {
      this.answers.value = withAnswer(this.answers.value, field, value);
      if (this.status.value !== 'conflict') this.status.value = 'dirty';
      this.keepLocally();
      this.check();
    });
    if (this.status.value === 'dirty') this.schedule(AUTOSAVE_MS);
  }

  /**
   * The engine's check. A draft answer the server would refuse (off the number grid, too long)
   * holds the autosave and is shown on its field. Once the reader tried to submit, the
   * submission's own problems (required answers) are shown too, until they are answered. A server
   * problem stays on its field until the engine has something to say there or the field changes.
   */
  private check(): { draftOk: boolean; submitOk: boolean } {
    const layout = this.layout.value;
    const facts = this.facts.value;
    if (!layout || !facts) return { draftOk: false, submitOk: false };
    const draft = validateAnswers(this.form, layout.effective, facts, { mode: 'draft' });
    const full = validateAnswers(this.form, layout.effective, facts, { mode: 'submit' });
    const shown = this.submitAttempted ? full : draft;
    const client = shown.ok ? {} : problemsByPath(shown.errors, 'client');
    const kept: Record<string, FieldProblem> = {};
    for (const [path, p] of Object.entries(this.problems.value)) if (p.source === 'server' && !client[path]) kept[path] = p;
    this.problems.value = { ...kept, ...client };
    if (Object.keys(this.problems.value).length === 0) this.submitRefused.value = false;
    if (!draft.ok && this.status.value === 'dirty') this.status.value = 'invalid';
    if (draft.ok && this.status.value === 'invalid') this.status.value = 'dirty';
    return { draftOk: draft.ok, submitOk: full.ok };
  }

  /** Clears a server problem once the reader changes that field. */
  clearProblem(field: FieldRef): void {
    const path = field.eye ? `eyes.${field.eye}.${field.key}` : `participant.${field.key}`;
    if (!this.problems.value[path]) return;
    const { [path]: _gone, ...rest } = this.problems.value;
    this.problems.value = rest;
  }

  /** Saves the draft now (autosave calls this; so does leaving the page). */
  flush(): Promise<void> {
    this.cancelTimer();
    if (this.inFlight) return this.inFlight;
    if (this.amending.value || !['dirty', 'offline'].includes(this.status.value)) return Promise.resolve();
    this.inFlight = this.send(false).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Submits (also an amendment). Checks in submit mode first: missing required answers are shown
   * on their fields and nothing is sent. Returns true once the server has the submission.
   */
  async submit(): Promise<boolean> {
    this.cancelTimer();
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    if (!this.editable.value || this.status.value === 'conflict') return false;
    this.submitAttempted = true;
    this.submitAttempts.value++;
    if (!this.check().submitOk) {
      // Nothing is submitted; what can be saved as a draft still is.
      this.submitRefused.value = true;
      if (this.status.value === 'dirty') this.schedule(AUTOSAVE_MS);
      return false;
    }
    await this.send(true);
    const done = this.status.value === 'submitted';
    if (done) {
      this.submitAttempted = false;
      this.submitRefused.value = false;
    }
    return done;
  }

  /** After a conflict: keep the reader's answers over the other version, or take the other version. */
  resolveConflict(choice: 'mine' | 'theirs'): void {
    const theirs = this.theirs.value;
    if (!theirs) return;
    batch(() => {
      this.server.value = theirs;
      this.theirs.value = undefined;
      if (choice === 'theirs') {
        this.answers.value = copyAnswers(theirs.answers);
        this.storage.removeItem(this.storageKey);
        this.status.value = theirs.status === 'submitted' ? 'submitted' : 'clean';
      } else {
        this.status.value = 'dirty';
        this.keepLocally();
      }
      this.check();
    });
    if (choice === 'mine' && this.status.value === 'dirty') this.schedule(0);
  }

  dispose(): void {
    this.cancelTimer();
  }

  // ---------------------------------------------------------------------------------------------

  private get storageKey(): string {
    return draftKey(this.userSub, this.ref);
  }

  private localDraft(): LocalDraft | undefined {
    try {
      const raw = this.storage.getItem(this.storageKey);
      return raw ? (JSON.parse(raw) as LocalDraft) : undefined;
    } catch {
      return undefined;
    }
  }

  private keepLocally(): void {
    const base = this.server.value?.version ?? 0;
    try {
      this.storage.setItem(this.storageKey, JSON.stringify({ baseVersion: base, answers: this.answers.value, at: this.timers.now() } satisfies LocalDraft));
    } catch {
      // Storage full or refused (private mode): the draft still lives on the page and autosaves.
    }
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private keyFor(fingerprint: string): string {
    if (this.lastRequest?.fingerprint !== fingerprint) this.lastRequest = { fingerprint, key: this.api.newKey() };
    return this.lastRequest.key;
  }

  private async send(submit: boolean): Promise<void> {
    const server = this.server.value;
    const layout = this.layout.value;
    if (!server || !layout) return;
    const sent = layout.effective;
    const sentRaw = this.answers.value;
    const fingerprint = JSON.stringify([server.version, submit, sent]);
    this.status.value = submit ? 'submitting' : 'saving';
    try {
      const view = await this.api.saveRead(this.ref, { answers: sent, submit }, server.version, this.keyFor(fingerprint));
      const changedMeanwhile = this.answers.value !== sentRaw;
      batch(() => {
        this.server.value = view;
        this.failure.value = undefined;
        this.offlineMs = OFFLINE_RETRY_MS;
        this.savedAt.value = this.timers.now();
        this.problems.value = {};
        if (changedMeanwhile) {
          this.status.value = 'dirty';
          this.keepLocally();
        } else {
          this.storage.removeItem(this.storageKey);
          this.status.value = view.status === 'submitted' ? 'submitted' : 'clean';
        }
      });
      this.check();
      if (changedMeanwhile && (this.status.value as ReadStatus) === 'dirty') this.schedule(AUTOSAVE_MS);
    } catch (e) {
      await this.failed(asApiError(e), submit);
    }
  }

  private async failed(error: ApiError, submit: boolean): Promise<void> {
    this.failure.value = error;
    if (error.status === 0 || error.status >= 500 || error.status === 429) {
      // The client already retried: try again later, with the same key for the same request.
      this.status.value = submit ? 'refused' : 'offline';
      if (!submit) {
        this.schedule(this.offlineMs);
        this.offlineMs = Math.min(OFFLINE_MAX_MS, this.offlineMs * 2);
      }
      return;
    }
    if (error.status === 412 || error.code === 'version_mismatch' || error.code === 'precondition_required') {
      try {
        const theirs = await this.api.read(this.ref);
        batch(() => {
          this.theirs.value = theirs;
          this.status.value = 'conflict';
          this.keepLocally();
        });
      } catch (e) {
        this.failure.value = asApiError(e);
        this.status.value = 'refused';
      }
      return;
    }
    if (error.status === 400 && error.errors.length > 0) {
      batch(() => {
        this.problems.value = { ...this.problems.value, ...problemsByPath(error.errors, 'server') };
        this.status.value = 'refused';
        this.submitAttempts.value++;
      });
      return;
    }
    if (error.code === 'already_submitted' || error.code === 'read_locked') {
      // The read moved on (submitted or decided elsewhere): show it as the server has it now.
      try {
        this.server.value = await this.api.read(this.ref);
      } catch {
        // Keep what is on screen; the failure message stands.
      }
    }
    this.status.value = 'refused';
  }
}
