/** Codes shared by every transport; `error-mapping.ts` turns them into HTTP statuses and GraphQL codes. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PRECONDITION_FAILED'
  | 'UNPROCESSABLE'
  | 'RATE_LIMITED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_TIMEOUT'
  | 'URI_TOO_LONG'
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  | 'UPSTREAM_ERROR'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** One offending field: `path` uses dots and indexes (`interfaces.1.zoneIds`). */
export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors: FieldError[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationFailed extends DomainError {
  constructor(errors: FieldError[], message = 'The request is invalid') {
    super('BAD_USER_INPUT', message, errors);
  }

  static field(field: string, message: string): ValidationFailed {
    return new ValidationFailed([{ field, message }], `${field}: ${message}`);
  }
}

export class NotFound extends DomainError {
  constructor(entity: string, id: string) {
    super('NOT_FOUND', `${entity} ${id} not found`, [], { entity, id });
  }
}

export class Conflict extends DomainError {
  constructor(message: string, errors: FieldError[] = [], details: Record<string, unknown> = {}) {
    super('CONFLICT', message, errors, details);
  }
}
