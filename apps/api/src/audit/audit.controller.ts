import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/auth.decorators';
import { ListResponse, type PageResult, pageOf } from '../common/pagination/pagination';
import { AuditEntryModel, AuditListQuery, toAuditModel } from './audit.model';
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@RequireScope('admin')
@Controller('audit')
export class AuditController {
  constructor(private readonly service: AuditService) {}

  @Get()
  @ApiOkResponse({ type: ListResponse(AuditEntryModel), description: 'Newest first' })
  async list(@Query() query: AuditListQuery): Promise<PageResult<AuditEntryModel>> {
    const { limit, offset, ...filter } = query;
    const result = await this.service.list(filter, pageOf({ limit, offset }));
    return { ...result, items: result.items.map(toAuditModel) };
  }
}
