import { Global, Inject, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { requestContext } from '../common/request-context';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { createHttpLogger, createLogger } from './logger';

export const PINO_LOGGER = Symbol('PINO_LOGGER');

/** JSON logs with a request id per request (taken from X-Request-Id when valid, echoed back). */
@Global()
@Module({
  providers: [
    {
      provide: PINO_LOGGER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createLogger(config.logLevel, config.logFile),
    },
  ],
  exports: [PINO_LOGGER],
})
export class LoggingModule implements NestModule {
  constructor(@Inject(PINO_LOGGER) private readonly logger: Logger) {}

  configure(consumer: MiddlewareConsumer): void {
    const bindContext = (req: Request & { id?: unknown }, _res: Response, next: () => void): void => {
      requestContext.run({ requestId: typeof req.id === 'string' ? req.id : undefined }, next);
    };
    consumer.apply(createHttpLogger(this.logger), bindContext).forRoutes('*path');
  }
}
