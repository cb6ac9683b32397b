import { type DynamicModule, Global, Module } from '@nestjs/common';
import { type AppConfig, type ConfigOverrides, loadConfig } from './app-config';

export const APP_CONFIG = Symbol('APP_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(overrides: ConfigOverrides = {}): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useFactory: (): AppConfig => loadConfig(process.env, overrides) }],
      exports: [APP_CONFIG],
    };
  }
}
