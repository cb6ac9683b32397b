import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { idParam } from '../common/http/id.pipe';
import { ReachabilityModel, RuleSetModel, toReachabilityModel, toRuleSetModel } from './rule-set.model';
import { RuleSetsService } from './rule-sets.service';
import { ReachabilityQuery } from './rules.input';

@ApiTags('rules')
@Controller()
export class RulesController {
  constructor(private readonly service: RuleSetsService) {}

  @Get('devices/:id/ruleset')
  @ApiOkResponse({
    type: RuleSetModel,
    description: 'Objects, ordered rules, explanations and hash of the device',
  })
  async ruleSet(@Param('id', idParam()) id: string): Promise<RuleSetModel> {
    return toRuleSetModel(await this.service.ruleSet(id));
  }

  @Get('reachability')
  @ApiOkResponse({
    type: ReachabilityModel,
    description: 'Flows requiring from → to, devices on the path, rules allowing it',
  })
  async reachability(@Query() query: ReachabilityQuery): Promise<ReachabilityModel> {
    return toReachabilityModel(
      await this.service.reachability(query.from, query.to, { protocol: query.protocol, port: query.port }),
    );
  }
}
