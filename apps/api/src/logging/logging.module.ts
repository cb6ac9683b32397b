import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { createLogger, flushLogger } from './logger';

export const PINO_LOGGER = Symbol('PINO_LOGGER');

/** JSON logs, written out on shutdown; the request log is written by the request middleware configureApp installs. */
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
export class LoggingModule implements OnApplicationShutdown {
  constructor(@Inject(PINO_LOGGER) private readonly logger: Logger) {}

  onApplicationShutdown(): void {
    flushLogger(this.logger);
  }
}
