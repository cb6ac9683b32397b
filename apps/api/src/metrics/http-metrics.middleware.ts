import type { NextFunction, Request, Response } from 'express';
import type { MetricsService } from './metrics.service';

/**
 * Times every HTTP request, labelled by route template (`/api/v1/sites/:id`), never by raw URL. Mounted ahead of
 * everything else (configureApp) so GraphQL, 404s and requests the body parser refuses are counted too.
 */
export function httpMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    // 'finish' is emitted once: `on` spares the wrapper `once` builds per request.
    res.on('finish', () => {
      const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
      // Unmatched URLs share one label so that scanners cannot blow up the series count; GraphQL is served by
      // middleware mounted at /graphql, not by a route.
      const route =
        typeof routePath === 'string'
          ? `${req.baseUrl}${routePath}`
          : req.originalUrl.split('?', 1)[0] === '/graphql'
            ? '/graphql'
            : '(unmatched)';
      metrics.observeHttp(req.method, route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
