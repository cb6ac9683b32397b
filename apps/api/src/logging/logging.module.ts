import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { createLogger } from './logger';

export const PINO_LOGGER = Symbol('PINO_LOGGER');

/** JSON logs; the request log is part of AppModule's request middleware (requestScope). */
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
export class LoggingModule {}
