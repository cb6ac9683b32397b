import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { GqlContextType } from '@nestjs/graphql';
import type { Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { assignRequestId } from '../../logging/logger';
import { type NormalisedError, normaliseError } from './error-mapping';

/** The problem+json document (RFC 9457) of an HTTP answer; also written raw for requests Node's parser refuses. */
export function problemDocument(
  problem: NormalisedError,
  context: { instance?: string; requestId?: string } = {},
): Record<string, unknown> {
  return {
    type: `https://utm-firewall-orchestrator/problems/${problem.code.toLowerCase().replace(/_/g, '-')}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    ...(context.instance !== undefined ? { instance: context.instance } : {}),
    ...(context.requestId !== undefined ? { requestId: context.requestId } : {}),
    ...(problem.errors.length ? { errors: problem.errors } : {}),
    ...problem.details,
  };
}

/**
 * Renders every error once: `application/problem+json` (RFC 9457) over HTTP, a GraphQL error with
 * `extensions.code` over GraphQL. Registered as APP_FILTER so test apps behave like production.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): GraphQLError | void {
    const problem = normaliseError(exception);
    if (problem.unexpected) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    if (host.getType<GqlContextType>() === 'graphql') {
      return new GraphQLError(problem.detail, {
        extensions: {
          code: problem.code,
          status: problem.status,
          ...(problem.errors.length ? { errors: problem.errors } : {}),
          ...problem.details,
        },
      });
    }
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { id?: unknown }>();
    if (response.headersSent) return;
    const retryAfter = problem.details.retryAfterSeconds;
    if (typeof retryAfter === 'number' && !response.getHeader('Retry-After')) {
      response.setHeader('Retry-After', String(retryAfter));
    }
    response
      .status(problem.status)
      .type('application/problem+json')
      .json(
        problemDocument(problem, {
          instance: request.originalUrl,
          // Requests the body parser rejects never reach the logging middleware that assigns the id.
          requestId: typeof request.id === 'string' ? request.id : assignRequestId(request, response),
        }),
      );
  }
}
