import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InventoryCheckList, InventoryCheckQuery } from './checks.model';
import { ChecksService } from './checks.service';

@ApiTags('inventory')
@Controller('inventory/checks')
export class ChecksController {
  constructor(private readonly service: ChecksService) {}

  @Get()
  @ApiOkResponse({
    type: InventoryCheckList,
    description: 'Every guard-rail finding over the inventory (not paginated), filtered by the query',
  })
  async list(@Query() query: InventoryCheckQuery): Promise<InventoryCheckList> {
    const items = await this.service.list({
      deploymentId: query.deploymentId,
      tenantId: query.tenantId,
      code: query.code,
    });
    return { items, total: items.length };
  }
}
