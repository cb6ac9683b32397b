import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { RuleSetsService } from './rule-sets.service';
import { RulesController } from './rules.controller';
import { DeviceRuleSetResolver, ReachabilityResolver } from './rules.resolver';

@Module({
  imports: [CatalogModule],
  controllers: [RulesController],
  providers: [RuleSetsService, DeviceRuleSetResolver, ReachabilityResolver],
  exports: [RuleSetsService],
})
export class RulesModule {}
