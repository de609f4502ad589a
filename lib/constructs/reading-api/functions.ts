/**
 * The reading functions, one row each: the folder under `lambda/`, the construct id, what it may do
 * (its access), its environment and the HTTP routes it serves. The constructs of the reading API
 * and the infra tests (function-access, reading-api, bundling) all iterate this table, so a new
 * function is one row here, its own folder and its tests.
 *
 * `lib/` imports from `lambda/` only each function's env.ts, type-only: the environment a row
 * builds is checked against that schema at compile time.
 */
import { Duration } from 'aws-cdk-lib';
import type { z } from 'zod';
import type { AdjudicationEnvSchema } from '../../../lambda/adjudication-api/env';
import type { CaseFilesEnvSchema } from '../../../lambda/case-files/env';
import type { CoordinatorEnvSchema } from '../../../lambda/coordinator-api/env';
import type { ExportWorkerEnvSchema } from '../../../lambda/export-worker/env';
import type { ReaderApiEnvSchema } from '../../../lambda/reader-api/env';
import type { RegisterCaseEnvSchema } from '../../../lambda/register-case/env';
import type { AppStreamAction } from '../appstream-fleet';
import type { READING_TABLE_INDEXES } from '../reading-table';
import type { ScansAccessPolicies } from '../scans-store';

export type ItemAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'ConditionCheckItem';

/**
 * What one function may do: exactly the calls its code sends (its folder and the store functions it
 * uses), nothing "just in case". test/infra/function-access.test.ts pins the policies this produces,
 * so a change here is a change there.
 */
export interface FunctionAccess {
  /**
   * DynamoDB item actions, on the table. A TransactWriteItems call needs the action of each kind
   * of item it carries: Put → PutItem, Update → UpdateItem, ConditionCheck → ConditionCheckItem.
   */
  readonly items: readonly ItemAction[];
  /**
   * Partition keys its writes (PutItem, UpdateItem) may touch, as `dynamodb:LeadingKeys`: a key
   * ending in `#` stands for that prefix, any other for itself. Given where a function writes a few
   * kinds of item only; absent, its writes may touch any item of the table. Literal prefixes of the
   * store's key builders (test/infra/function-access.test.ts checks them against the builders).
   */
  readonly writesUnder?: readonly string[];
  /** Where it runs Query: the table itself and the indexes it reads. */
  readonly queries: ReadonlyArray<'table' | (typeof READING_TABLE_INDEXES)[number]>;
  /** The scans-bucket policy (owned by the data stack) for the objects it touches. */
  readonly objects?: keyof ScansAccessPolicies;
  /** AppStream calls, on the study's fleet and stack. */
  readonly appStream?: readonly AppStreamAction[];
  /** Cognito user-pool calls, on the study's pool only. */
  readonly directory?: ReadonlyArray<'ListUsersInGroup'>;
}

/** What a function's environment is made of: the study's deployed names and settings. */
export interface FunctionContext {
  readonly studyId: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly userPoolId: string;
  readonly fleetName: string;
  readonly appStreamStackName: string;
  /** Lifetime of a streaming URL. */
  readonly streamingUrlValiditySeconds: number;
  /** The fleet's maximum session length: how long an issued session id stays usable. */
  readonly sessionMaxSeconds: number;
  /** AppStream custom streaming domain (issued URLs are rewritten to it), when the study has one. */
  readonly streamingDomain?: string;
}

/**
 * A function's Lambda environment as its env.ts schema declares it, every value a string. The
 * reading config and the display name are bundled (4 KB limit), never environment variables.
 */
type EnvOf<S extends z.ZodType> = { [K in keyof Omit<z.input<S>, 'READROOM_READING_CONFIG' | 'READROOM_STUDY_DISPLAY_NAME'>]: string };
/** `R` with every key that `T` lacks typed `never`: an arrow's returned object gets no excess-property check of its own. */
type Exactly<R, T> = R & { [K in Exclude<keyof R, keyof T>]: never };

export interface ReadingFunctionSpec {
  /** Folder under `lambda/` holding `handler.ts` and `env.ts`. */
  readonly folder: string;
  /** Construct id in the reading API: part of every logical id of the function, so never renamed. */
  readonly id: string;
  readonly access: FunctionAccess;
  /** Its environment variables (each function gets only what its env.ts declares). */
  readonly environment: (c: FunctionContext) => Record<string, string>;
  /** HTTP API routes it serves, as API Gateway's route keys (`METHOD /path`). @default - none */
  readonly routes?: readonly string[];
  /** @default 10 seconds (AppFunction) */
  readonly timeout?: Duration;
  /** @default 512 (AppFunction) */
  readonly memorySize?: number;
  /** @default 50 (AppFunction) */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * A row whose environment is checked against the function's env.ts schema `S` at compile time:
 * every variable the schema requires and none it does not declare. (Curried: `S` is given, the
 * environment's own type inferred.)
 */
function row<S extends z.ZodType>() {
  return <R extends EnvOf<S>>(spec: Omit<ReadingFunctionSpec, 'environment'> & { readonly environment: (c: FunctionContext) => Exactly<R, EnvOf<S>> }): ReadingFunctionSpec => spec;
}

/** What every function gets: the study and its table. */
const base = (c: FunctionContext) => ({ STUDY_ID: c.studyId, TABLE_NAME: c.tableName });
/** Where streaming sessions are issued: the fleet and stack, the URL lifetime, the session limit. */
const streaming = (c: FunctionContext) => ({
  FLEET_NAME: c.fleetName,
  APPSTREAM_STACK_NAME: c.appStreamStackName,
  STREAMING_URL_VALIDITY_SECONDS: String(c.streamingUrlValiditySeconds),
  SESSION_MAX_SECONDS: String(c.sessionMaxSeconds),
  ...(c.streamingDomain ? { APPSTREAM_STREAMING_DOMAIN: c.streamingDomain } : {}),
});

export const READING_FUNCTIONS = {
  // Queue (gsi1 QUEUE#), claim next (gsi2 CLAIMABLE), read saves and their outcome in one
  // transaction (ConditionCheck of the other reads); streaming URLs.
  reader: row<typeof ReaderApiEnvSchema>()({
    folder: 'reader-api',
    id: 'ReaderFunction',
    access: { items: ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'], queries: ['table', 'gsi1', 'gsi2'], appStream: ['CreateStreamingURL'] },
    environment: (c) => ({ ...base(c), ...streaming(c) }),
    // Reader routes name an assignment by its opaque ref, never a case id.
    routes: ['GET /me', 'GET /study', 'GET /queue', 'POST /queue/next', 'GET /assignments/{ref}/read', 'PUT /assignments/{ref}/read', 'POST /assignments/{ref}/session'],
  }),
  // Task lists (gsi2 ADJ#) with one BatchGetItem of their cases' site and exclusions (conflict of
  // interest); a resolution is one transaction that condition-checks every read; the image session
  // is a streaming URL and one transaction of the session and its audit event (PutItem).
  adjudication: row<typeof AdjudicationEnvSchema>()({
    folder: 'adjudication-api',
    id: 'AdjudicationFunction',
    access: { items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'], queries: ['table', 'gsi2'], appStream: ['CreateStreamingURL'] },
    environment: (c) => ({ ...base(c), ...streaming(c) }),
    // Adjudicator routes name the case by its id.
    routes: ['GET /adjudications', 'GET /adjudications/{caseId}', 'PUT /adjudications/{caseId}', 'POST /adjudications/{caseId}/session'],
  }),
  // Bulk assignment and progress (gsi1 CASES/QUEUE#/REJECTIONS, gsi2 READERS/ADJ#); queues
  // exports and presigns their download links; bulk assignment reads the reader group (with each
  // reader's site) from the user pool. It only queues exports; the worker writes them. Its long
  // timeout is for bulk assignment: past the API's 30 s the caller gets a 503, but the run
  // finishes (every assignment is its own transaction, and a rerun skips what exists).
  coordinator: row<typeof CoordinatorEnvSchema>()({
    folder: 'coordinator-api',
    id: 'CoordinatorFunction',
    // ConditionCheckItem: a withdrawal checks that an assignment without a read still has none.
    access: { items: ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'], queries: ['table', 'gsi1', 'gsi2'], objects: 'readExports', directory: ['ListUsersInGroup'] },
    environment: (c) => ({ ...base(c), BUCKET_NAME: c.bucketName, USER_POOL_ID: c.userPoolId }),
    routes: ['POST /assignments', 'POST /assignments/{ref}/withdraw', 'GET /progress', 'POST /exports', 'GET /exports/{exportId}', 'GET /audit'],
    timeout: Duration.minutes(5),
    memorySize: 1024,
  }),
  // Pages of cases (gsi1 CASES) with one BatchGetItem of their finals; takes and finishes its job
  // by Update and transactions; never a single GetItem. Writes only its job, the pseudonyms and
  // audit events. Started by the table's stream (export-worker.ts).
  exportWorker: row<typeof ExportWorkerEnvSchema>()({
    folder: 'export-worker',
    id: 'ExportWorkerFunction',
    access: { items: ['BatchGetItem', 'PutItem', 'UpdateItem'], writesUnder: ['EXPORT#', 'PSEUDONYMS', 'AUDIT#'], queries: ['table', 'gsi1'], objects: 'writeExports' },
    environment: (c) => ({ ...base(c), BUCKET_NAME: c.bucketName }),
    timeout: Duration.minutes(15),
    memorySize: 1024,
    // Exports are rare; two at once is plenty and bounds the read load they put on the table.
    reservedConcurrentExecutions: 2,
  }),
  // Put (else Update) the case, Query + Update its outstanding rejections; reads nothing by key.
  // Listing a case folder proves its files exist without reading a single image. Started by
  // manifest uploads (case-registry.ts).
  registry: row<typeof RegisterCaseEnvSchema>()({
    folder: 'register-case',
    id: 'RegistryFunction',
    access: { items: ['PutItem', 'UpdateItem'], writesUnder: ['CASE#', 'AUDIT#'], queries: ['table'], objects: 'readManifests' },
    environment: (c) => ({ ...base(c), BUCKET_NAME: c.bucketName }),
    timeout: Duration.seconds(30),
  }),
  // Session, assignment or task, and case by GetItem; the adjudicator's conflict check by Query;
  // one audit Put; AppStream says which instance streams the session. A read session's first call
  // copies the case files (S3 CopyObject under views/) and marks the session (Update); the reader's
  // pseudonym is read, or allocated once by the exports' transaction (Query of PSEUDONYMS, Update
  // of its counter, Put of the code). Served by the private fleet API (fleet-api.ts); the timeout
  // covers copying a large case (the API answers after 29 s, the copy still completes).
  caseFiles: row<typeof CaseFilesEnvSchema>()({
    folder: 'case-files',
    id: 'CaseFilesFunction',
    access: { items: ['GetItem', 'PutItem', 'UpdateItem'], writesUnder: ['AUDIT#', 'SESSION#', 'PSEUDONYMS'], queries: ['table'], objects: 'readCaseFiles', appStream: ['DescribeSessions'] },
    environment: (c) => ({ ...base(c), BUCKET_NAME: c.bucketName, FLEET_NAME: c.fleetName, APPSTREAM_STACK_NAME: c.appStreamStackName }),
    timeout: Duration.seconds(60),
  }),
} as const satisfies Record<string, ReadingFunctionSpec>;

export type ReadingFunctionKey = keyof typeof READING_FUNCTIONS;

/**
 * Every table action some function holds, Query included: all the reading table's traffic through
 * the study VPC, so the DynamoDB gateway endpoint allows these and nothing else. (The export
 * worker's stream reads run in Lambda's own pollers, outside the VPC.)
 */
export const TABLE_ACTIONS_IN_VPC: readonly string[] = [...new Set([...Object.values(READING_FUNCTIONS).flatMap((f) => f.access.items), 'Query'])].sort();
