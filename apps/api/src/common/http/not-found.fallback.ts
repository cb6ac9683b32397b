import { Injectable, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { assignRequestId } from '../../logging/logger';
import { problemDocument } from '../errors/all-exceptions.filter';
import { normaliseError } from '../errors/error-mapping';

/**
 * Nest answers unmatched paths only under the global prefix; anything else (`/nope`, the docs when
 * `API_DOCS=off`) fell through to Express's HTML page. Registered at bootstrap, after every route and
 * Nest's own handlers, so it only sees requests nothing else answered.
 */
@Injectable()
export class NotFoundFallback implements OnApplicationBootstrap {
  constructor(private readonly host: HttpAdapterHost) {}

  onApplicationBootstrap(): void {
    this.host.httpAdapter.use((req: Request & { id?: unknown }, res: Response, next: NextFunction) => {
      if (res.headersSent) return next();
      const path = req.originalUrl.split('?')[0];
      const problem = normaliseError(new NotFoundException(`Cannot ${req.method} ${path}`));
      res
        .status(problem.status)
        .type('application/problem+json')
        .json(
          problemDocument(problem, {
            instance: path,
            requestId: typeof req.id === 'string' ? req.id : assignRequestId(req, res),
          }),
        );
    });
  }
}
