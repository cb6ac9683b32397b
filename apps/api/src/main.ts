import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { ConfigError, loadConfig } from './config/app-config';
import { APP_OPTIONS, configureApp } from './configure-app';
import { createLogger, PinoNestLogger } from './logging/logger';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, config.logFile);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    ...APP_OPTIONS,
    logger: new PinoNestLogger(logger),
  });
  configureApp(app);
  await app.listen(config.port, config.host);
  logger.info({ port: config.port, host: config.host }, `listening on http://${config.host}:${config.port}`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
