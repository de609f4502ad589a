/**
 * What a client needs to know about the study it reads in (`GET /study`): its name, the form with
 * its option labels in Korean and English and its `visibleIf` conditions as the source text the
 * domain compiles (./form/visible-if.ts), the case facts those conditions may name, how many
 * independent reads a case gets, and the streaming settings. A client validates the answer with
 * `StudyInfoSchema` and then renders and checks answers with this same domain code
 * (`validateAnswers(info.form, answers, facts, …)`, ./form/validator.ts), so the portal and the
 * server agree on what is visible, required and valid.
 */
import * as z from 'zod';
import { CASE_FACTS, FormSchema, type Form } from './form/schema';

export const StudyInfoSchema = z.strictObject({
  studyId: z.string().min(1),
  /** The study file's `displayName`. */
  displayName: z.string().min(1),
  /** The diagnosis form as the server validates with it (defaults filled in). */
  form: FormSchema,
  /** Facts of a case (not answers) that `visibleIf` may name; each read's `facts` gives their values. */
  caseFacts: z.array(z.enum(CASE_FACTS)),
  /** Independent first reads per case (the study's k). */
  readsPerCase: z.number().int().min(1).max(5),
  streaming: z.strictObject({
    /** A streaming URL must be opened within this many seconds: ask for it just before opening it. */
    urlValiditySeconds: z.number().int().min(1),
    /** The longest a streaming session lasts (the fleet's maximum user duration). */
    sessionMaxSeconds: z.number().int().min(1),
  }),
});
export type StudyInfo = z.output<typeof StudyInfoSchema>;

export function studyInfo(s: {
  studyId: string;
  displayName: string;
  form: Form;
  readsPerCase: number;
  streamingUrlValiditySeconds: number;
  sessionMaxSeconds: number;
}): StudyInfo {
  return {
    studyId: s.studyId,
    displayName: s.displayName,
    form: s.form,
    caseFacts: [...CASE_FACTS],
    readsPerCase: s.readsPerCase,
    streaming: { urlValiditySeconds: s.streamingUrlValiditySeconds, sessionMaxSeconds: s.sessionMaxSeconds },
  };
}
