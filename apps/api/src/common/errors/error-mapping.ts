import { HttpException, HttpStatus } from '@nestjs/common';
import { Prisma } from '@app/persistence';
import { DomainError, type ErrorCode, type FieldError } from './domain-error';

/** The one place where error codes meet transport statuses. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_USER_INPUT: HttpStatus.BAD_REQUEST,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  CONFLICT: HttpStatus.CONFLICT,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  PRECONDITION_FAILED: HttpStatus.PRECONDITION_FAILED,
  UNPROCESSABLE: HttpStatus.UNPROCESSABLE_ENTITY,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  REQUEST_TIMEOUT: HttpStatus.REQUEST_TIMEOUT,
  URI_TOO_LONG: HttpStatus.URI_TOO_LONG,
  // Not in Nest's HttpStatus enum.
  REQUEST_HEADER_FIELDS_TOO_LARGE: 431,
  UPSTREAM_ERROR: HttpStatus.BAD_GATEWAY,
  SERVICE_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  INTERNAL_SERVER_ERROR: HttpStatus.INTERNAL_SERVER_ERROR,
};

/** Seconds a client is told to wait when the database is saturated (pool or transaction-start timeout). */
export const SATURATED_RETRY_AFTER_SECONDS = 1;

const CODE_BY_HTTP_STATUS = new Map<number, ErrorCode>(
  (Object.entries(HTTP_STATUS_BY_CODE) as [ErrorCode, number][]).map(([code, status]) => [status, code]),
);

export interface NormalisedError {
  status: number;
  code: ErrorCode;
  title: string;
  detail: string;
  errors: FieldError[];
  details: Record<string, unknown>;
  /** Unexpected errors are logged with their stack; expected ones are not. */
  unexpected: boolean;
}

/** Field errors rendered per problem; a body with thousands of bad keys must not get a megabyte answer. */
export const MAX_RENDERED_FIELD_ERRORS = 50;
/** Longest `detail` rendered (messages built from client input could otherwise grow with it). */
export const MAX_DETAIL_LENGTH = 2000;

export function normaliseError(error: unknown): NormalisedError {
  return bounded(classify(error));
}

function bounded(problem: NormalisedError): NormalisedError {
  const omitted = problem.errors.length - MAX_RENDERED_FIELD_ERRORS;
  const detail =
    problem.detail.length > MAX_DETAIL_LENGTH
      ? `${problem.detail.slice(0, MAX_DETAIL_LENGTH)}…`
      : problem.detail;
  if (omitted <= 0 && detail === problem.detail) return problem;
  return {
    ...problem,
    detail,
    ...(omitted > 0
      ? {
          errors: problem.errors.slice(0, MAX_RENDERED_FIELD_ERRORS),
          details: { ...problem.details, errorsOmitted: omitted },
        }
      : {}),
  };
}

function classify(error: unknown): NormalisedError {
  if (error instanceof DomainError) return fromCode(error.code, error.message, error.errors, error.details);
  if (error instanceof Prisma.PrismaClientKnownRequestError) return fromPrisma(error);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code =
      CODE_BY_HTTP_STATUS.get(status) ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT');
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : typeof (response as { message?: unknown }).message === 'string'
          ? (response as { message: string }).message
          : error.message;
    return { ...fromCode(code, message), status, unexpected: status >= 500 };
  }
  if (isBodyParserError(error)) {
    return { ...fromCode('BAD_USER_INPUT', error.message), status: error.status };
  }
  return { ...fromCode('INTERNAL_SERVER_ERROR', 'Internal server error'), unexpected: true };
}

function fromCode(
  code: ErrorCode,
  detail: string,
  errors: FieldError[] = [],
  details: Record<string, unknown> = {},
): NormalisedError {
  const status = HTTP_STATUS_BY_CODE[code];
  return { status, code, title: TITLES[code], detail, errors, details, unexpected: status >= 500 };
}

function fromPrisma(error: Prisma.PrismaClientKnownRequestError): NormalisedError {
  // Services check these conditions first; this mapping covers races between check and write.
  const target = describeTarget(error.meta);
  switch (error.code) {
    case 'P2002':
      return fromCode('CONFLICT', `A record with the same ${target || 'unique value'} already exists`);
    case 'P2003':
      return fromCode('CONFLICT', `The record is still referenced (${target || 'foreign key'})`);
    case 'P2025':
      return fromCode('NOT_FOUND', 'Record not found');
    // A burst that outgrows the connection pool (P2024: no connection in time; P2028: a transaction could not
    // start in time) is load, not a bug: nothing was written, and the same request succeeds a moment later.
    case 'P2024':
    case 'P2028':
      return fromCode('SERVICE_UNAVAILABLE', 'The database is busy; nothing was changed, retry shortly', [], {
        retryAfterSeconds: SATURATED_RETRY_AFTER_SECONDS,
      });
    default:
      return { ...fromCode('INTERNAL_SERVER_ERROR', 'Internal server error'), unexpected: true };
  }
}

function describeTarget(meta: Record<string, unknown> | undefined): string {
  const target = meta?.target ?? meta?.field_name ?? meta?.constraint;
  if (Array.isArray(target)) return target.join(', ');
  return typeof target === 'string' ? target : '';
}

function isBodyParserError(error: unknown): error is { status: number; message: string; type: string } {
  const candidate = error as { status?: unknown; type?: unknown };
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500 &&
    typeof candidate.type === 'string'
  );
}

const TITLES: Record<ErrorCode, string> = {
  BAD_USER_INPUT: 'Bad Request',
  NOT_FOUND: 'Not Found',
  CONFLICT: 'Conflict',
  UNAUTHENTICATED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  PRECONDITION_FAILED: 'Precondition Failed',
  UNPROCESSABLE: 'Unprocessable Entity',
  RATE_LIMITED: 'Too Many Requests',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported Media Type',
  REQUEST_TIMEOUT: 'Request Timeout',
  URI_TOO_LONG: 'URI Too Long',
  REQUEST_HEADER_FIELDS_TOO_LARGE: 'Request Header Fields Too Large',
  UPSTREAM_ERROR: 'Bad Gateway',
  SERVICE_UNAVAILABLE: 'Service Unavailable',
  INTERNAL_SERVER_ERROR: 'Internal Server Error',
};
