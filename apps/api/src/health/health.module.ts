import { Module } from '@nestjs/common';
import { RulesModule } from '../rules/rules.module';
import { HealthController } from './health.controller';

@Module({ imports: [RulesModule], controllers: [HealthController] })
export class HealthModule {}
