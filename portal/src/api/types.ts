/**
 * The reading API's answers as the portal reads them (README "Reading workflow API" and the
 * per-function READMEs). The portal talks to the API over HTTP only: these are its own
 * declarations of the wire format, not imports of server code.
 */
import type { StudyInfo } from '../../../domain/study';
import type { Eye, NormalisedAnswers } from '../form/engine';

export type Role = 'reader' | 'adjudicator' | 'coordinator' | 'admin';

export interface Me {
  readerId: string;
  email?: string;
  roles: string[];
  site?: string;
  siteProblem?: 'missing' | 'malformed';
  progress?: { open: number; submitted: number };
}

export type Label = { en: string; ko: string };

/** GET /study: what every signed-in role needs to show the study's form (the domain's own type: a type-only import, nothing bundled). */
export type Study = StudyInfo;

export type AssignmentStatus = 'pending' | 'in_progress' | 'submitted';

export interface QueueItem {
  ref: string;
  status: AssignmentStatus;
  assignedAt: string;
  updatedAt: string;
  submittedAt?: string;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface NextAnswer {
  assignment: QueueItem | null;
  claimed: boolean;
  message?: string;
}

export interface CaseFactsView {
  octPresent: boolean;
  octEyes?: Eye[];
  eyes: Eye[];
}

export interface ReadView {
  ref: string;
  version: number;
  status: 'not_started' | 'draft' | 'submitted';
  editable: boolean;
  answers: NormalisedAnswers;
  formId: string;
  formVersion: string;
  facts: CaseFactsView;
  context?: Record<string, string | number | boolean | null>;
  updatedAt?: string;
  submittedAt?: string;
}

export interface StreamingSession {
  /** Read sessions only: the assignment's ref. */
  ref?: string;
  streamingUrl: string;
  expiresAt: string;
}

export type ReadLabel = 'A' | 'B' | 'C' | 'D' | 'E';

export interface DiscordanceReason {
  rule: string;
  question: string;
  eye?: Eye;
  detail: string;
}

export interface AdjudicationItem {
  caseId: string;
  status: 'open' | 'resolved';
  priority: 'safety' | 'normal' | 'low';
  reasons: DiscordanceReason[];
  openedAt: string;
  resolvedAt?: string;
  reasonCode?: string;
}

export interface FinalView {
  provenance: string;
  value: NormalisedAnswers;
  decidedAt: string;
  reasonCode?: string;
  note?: string;
  picks?: Array<{ question: string; eye?: Eye; source: string }>;
}

export interface AdjudicationDetail extends AdjudicationItem {
  formVersion: string;
  facts: CaseFactsView;
  reads: Partial<Record<ReadLabel, NormalisedAnswers>>;
  reasonCodes: string[];
  final?: FinalView;
}

/** A pick for one question: a read's label, or a new value. */
export type Pick = ReadLabel | { value: string | number | boolean | string[] };

export interface ResolveBody {
  picks: { eyes?: Partial<Record<Eye, Record<string, Pick>>>; participant?: Record<string, Pick> };
  reasonCode: string;
  note?: string;
}

export interface AssignBody {
  caseIds?: string[];
  limit?: number;
  readsPerCase?: number;
  maxOpenPerReader?: number;
  readerIds?: string[];
  exclusions?: Array<{ readerId: string; caseIds: string[] }>;
  allowSameSite?: boolean;
  hiddenRepeats?: boolean;
  dryRun?: boolean;
}

export interface PlannedAssignment {
  caseId: string;
  readerId: string;
}

export interface AssignResult {
  dryRun: boolean;
  readsPerCase: number;
  assigned: PlannedAssignment[];
  repeats: PlannedAssignment[];
  unfilled: Array<{ caseId: string; missing: number; reason: 'capacity' | 'no_eligible_reader' }>;
  skipped: Array<{ caseId: string; readerId?: string; reason: string }>;
  skippedReaders: Array<{ readerId: string; reason: 'site_missing' | 'site_invalid' | 'disabled' | 'inactive' }>;
  more?: boolean;
  /** Assignments that existed before this request excluded their reader; `withdraw` when they can be withdrawn. */
  excludedAssignments?: Array<{ caseId: string; readerId: string; ref: string; status: string; repeat: boolean; withdraw?: string }>;
}

export { WITHDRAW_REASONS, type WithdrawReason, type Withdrawn } from '../../../domain/assignment/withdraw';

export interface ReaderProgress {
  readerId: string;
  email?: string;
  site?: string;
  openCount: number;
  submittedCount: number;
}

export interface Rejection {
  caseId: string;
  at: string;
  reasons: Array<{ field?: string; rule?: string; message?: string }> | unknown;
}

export interface Progress {
  cases: { open: number; adjudication: number; final: number; total: number };
  adjudications: { open: number; resolved: number };
  readers: ReaderProgress[];
  cursor?: string;
  rejections: Rejection[];
  rejectionsCursor?: string;
}

export type ExportStatus = 'queued' | 'running' | 'complete' | 'failed' | 'stalled';

export interface ExportJob {
  exportId: string;
  status: ExportStatus;
  createdAt: string;
  formats: string[];
  startedAt?: string;
  completedAt?: string;
  error?: string;
  hint?: string;
  counts?: { cases: number; rows: number; reads: number };
  expiresInSeconds?: number;
  files?: Array<{ name: string; bytes: number; url: string }>;
}

export interface AuditEvent {
  at: string;
  id: string;
  actor: string;
  action: string;
  caseId?: string;
  sessionHash?: string;
  detail?: Record<string, string | number | boolean>;
}
