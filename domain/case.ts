/**
 * What identifies a case and its files, shared by the infrastructure config, the functions, the
 * portal and the CLI. Pure TypeScript: no aws-cdk-lib, no AWS SDK, no `node:` modules.
 */

/** Case ids are opaque study pseudonyms: letters, digits, dot, dash and underscore. */
export const CASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The examinations a case's files can hold. */
export const EXAMS = ['fundus', 'oct', 'va', 'iop', 'refraction', 'slitlamp', 'other'] as const;
export type Exam = (typeof EXAMS)[number];

/** Right eye (oculus dexter) and left eye (oculus sinister). */
export const EYES = ['OD', 'OS'] as const;
export type Eye = (typeof EYES)[number];
