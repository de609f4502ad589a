/**
 * Typed errors of the reading workflow. A core throws these; `http.ts` maps them to a status and a
 * JSON body `{ error: { code, message, field?, rule? } }`. Anything else is a 500 whose details stay
 * in the log, never in the response.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { field?: string; rule?: string; errors?: ReadonlyArray<{ path: string; rule: string; message: string }> } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The client sent something invalid: names the field and the rule it broke. */
export class ValidationError extends AppError {
  constructor(field: string, rule: string, message?: string, errors?: ReadonlyArray<{ path: string; rule: string; message: string }>) {
    super(400, 'validation_failed', message ?? `${field}: ${rule}`, { field, rule, errors });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Sign in again: the token is missing, expired or not for this study.') {
    super(401, 'unauthorized', message);
  }
}

/** 403; `code` says why when the client can act on it (e.g. `site_missing`, `conflict_of_interest`). */
export class ForbiddenError extends AppError {
  constructor(message: string, code = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} was not found.`);
  }
}

/**
 * A reader route's assignment ref that does not exist, is another reader's, or is not a ref at all
 * (a case id): one answer for all, so the API is no oracle for other readers' refs or for case ids.
 */
export class AssignmentNotFoundError extends NotFoundError {
  constructor() {
    super('No assignment of yours with this reference');
  }
}

/** A write lost a race or used an old version: the client should reload and retry. */
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

/**
 * An `Idempotency-Key` already used for a different request: 422, as the IETF Idempotency-Key
 * draft specifies; the client must send a new key for a new change.
 */
export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(422, 'idempotency_key_reused', 'Idempotency-Key: was already used for a different request; use a new key for a new change.', {
      field: 'Idempotency-Key',
      rule: 'reused',
    });
  }
}

/** `If-Match` names a version that is no longer current. */
export class PreconditionFailedError extends AppError {
  constructor(current: number) {
    super(412, 'version_mismatch', `The read changed since version you edited; current version is ${current}. Reload and apply your change again.`);
  }
}
