import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { PushesModule } from '../pushes/pushes.module';
import { RulesModule } from '../rules/rules.module';
import { DriftController } from './drift.controller';
import { DeviceDriftResolver, DriftResolver } from './drift.resolver';
import { DriftService } from './drift.service';

@Module({
  imports: [PushesModule, RulesModule, JobsModule],
  controllers: [DriftController],
  providers: [DriftService, DriftResolver, DeviceDriftResolver],
  exports: [DriftService],
})
export class DriftModule {}
