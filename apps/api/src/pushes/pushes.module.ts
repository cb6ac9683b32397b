import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module';
import { RulesModule } from '../rules/rules.module';
import { DeviceConnectors } from './device-connectors.service';
import { PlansController } from './plans.controller';
import { PlansResolver } from './plans.resolver';
import { PlansService } from './plans.service';

@Module({
  imports: [InventoryModule, RulesModule],
  controllers: [PlansController],
  providers: [DeviceConnectors, PlansService, PlansResolver],
  exports: [DeviceConnectors, PlansService],
})
export class PushesModule {}
