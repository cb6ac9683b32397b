import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module';
import { JobsModule } from '../jobs/jobs.module';
import { RulesModule } from '../rules/rules.module';
import { DeviceConnectors } from './device-connectors.service';
import { FleetSummaryService } from './fleet-summary.service';
import { PlansController } from './plans.controller';
import { PlansResolver } from './plans.resolver';
import { PlansService } from './plans.service';
import { PushLoaderFactory } from './push.loaders';
import { PushRunner } from './push-runner.service';
import { PushScheduler } from './push-scheduler.service';
import { PushesController } from './pushes.controller';
import { DevicePushesResolver, PushesResolver } from './pushes.resolver';
import { PushesService } from './pushes.service';

@Module({
  imports: [InventoryModule, RulesModule, JobsModule],
  controllers: [PlansController, PushesController],
  providers: [
    DeviceConnectors,
    PlansService,
    PlansResolver,
    PushesService,
    PushRunner,
    PushScheduler,
    FleetSummaryService,
    PushLoaderFactory,
    PushesResolver,
    DevicePushesResolver,
  ],
  exports: [DeviceConnectors, PlansService, PushesService, PushRunner, FleetSummaryService],
})
export class PushesModule {}
