import { Controller, HttpCode, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/auth.decorators';
import { idParam } from '../common/http/id.pipe';
import { PlanModel, toPlanModel } from './plan.model';
import { PlansService } from './plans.service';
import { Post } from '../common/http/idempotency.interceptor';

@ApiTags('pushes')
@Controller('devices')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Post(':id/plan')
  @HttpCode(200)
  @RequireScope('push')
  @ApiOkResponse({
    type: PlanModel,
    description: 'Dry run: reads the live device and plans against its rule set; writes nothing',
  })
  async plan(@Param('id', idParam()) id: string): Promise<PlanModel> {
    return toPlanModel(await this.plans.plan(id));
  }
}
