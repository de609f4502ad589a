/**
 * Arranging reading state for handler tests: cases registered straight through the store (as the
 * manifest function would), first-read slots claimed as "claim next" would, and valid answers for
 * the default form. Tests that are about registration or claiming use the handlers instead.
 */
import type { NormalisedAnswers } from '../../domain/answers';
import type { CaseFile } from '../../domain/case';
import type { Harness, TestUser } from './api-harness';

let clock = Date.parse('2025-01-01T00:00:00.000Z');
/** Strictly increasing ISO times, so registration order is the order of the calls. */
export const tick = () => new Date((clock += 1000)).toISOString();

export function caseFiles(opts: { oct?: boolean } = {}): CaseFile[] {
  const files: CaseFile[] = [
    { key: 'fundus/OD.jpg', exam: 'fundus', eye: 'OD', bytes: 5 },
    { key: 'fundus/OS.jpg', exam: 'fundus', eye: 'OS', bytes: 5 },
    { key: 'va.json', exam: 'va', eye: null, bytes: 2 },
  ];
  if (opts.oct) files.push({ key: 'oct/OD.dcm', exam: 'oct', eye: 'OD', bytes: 3 });
  return files;
}

/** Registers a case directly in the table. */
export async function seedCase(h: Harness, caseId: string, opts: { oct?: boolean; context?: Record<string, string | number> } = {}): Promise<void> {
  await h.store.registerCase({ caseId, files: caseFiles(opts), context: opts.context }, tick(), '1'.padStart(64, '0'));
}

/**
 * Gives `user` a first-read slot on the case (as "claim next" would) and returns the assignment's
 * ref: what the reader routes take in place of the case id.
 */
export async function assign(h: Harness, caseId: string, user: Pick<TestUser, 'sub' | 'username'>): Promise<string> {
  const c = await h.store.getCase(caseId);
  const out = await h.store.claimSlot({
    case: c!,
    readerId: user.sub,
    readsPerCase: h.readingConfig.assignment.readsPerCase,
    maxOpenPerReader: 1000,
    at: tick(),
    assignedBy: 'test',
  });
  if (out.result !== 'claimed') throw new Error(`could not assign ${caseId} to ${user.username}: ${out.result}`);
  return out.assignment.ref;
}

type Grade = { icdr?: string; dme?: string; beckman?: string; vcdr?: number | 'unable'; glaucoma?: string; referral?: string };

/** A complete, valid submission for the default form (both eyes gradable, no OCT questions). */
export function validAnswers(g: Grade = {}): NormalisedAnswers {
  const eye = {
    fundusQuality: 'good',
    icdrLevel: g.icdr ?? 'none',
    dme: g.dme ?? 'absent',
    beckmanClass: g.beckman ?? 'no_aging_changes',
    vcdr: g.vcdr ?? 0.3,
    glaucomaLikelihood: g.glaucoma ?? 'no',
  };
  return { eyes: { OD: { ...eye }, OS: { ...eye } }, participant: { referral: g.referral ?? 'none' } };
}
