import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/auth.decorators';
import { idParam } from '../common/http/id.pipe';
import { IfMatch } from '../common/http/if-match.decorator';
import { ListResponse, type PageResult, pageOf } from '../common/pagination/pagination';
import { CreateTenantInput, TenantListQuery, UpdateTenantInput } from './tenant.input';
import { TenantModel, toTenantModel } from './tenant.model';
import { TenantsService } from './tenants.service';
import { Post } from '../common/http/idempotency.interceptor';

const TenantList = ListResponse(TenantModel);

@ApiTags('tenants')
@Controller('tenants')
export class TenantsController {
  constructor(private readonly service: TenantsService) {}

  @Get()
  @ApiOkResponse({ type: TenantList })
  async list(@Query() query: TenantListQuery): Promise<PageResult<TenantModel>> {
    const result = await this.service.list({ q: query.q }, pageOf(query));
    return { ...result, items: result.items.map(toTenantModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: TenantModel })
  async get(@Param('id', idParam()) id: string): Promise<TenantModel> {
    return toTenantModel(await this.service.get(id));
  }

  @Post()
  @RequireScope('admin')
  @ApiCreatedResponse({ type: TenantModel })
  async create(@Body() input: CreateTenantInput): Promise<TenantModel> {
    return toTenantModel(await this.service.create(input));
  }

  @Patch(':id')
  @RequireScope('admin')
  @ApiOkResponse({ type: TenantModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdateTenantInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<TenantModel> {
    return toTenantModel(await this.service.update(id, input, expectedVersion));
  }

  @Delete(':id')
  @RequireScope('admin')
  @HttpCode(204)
  async remove(
    @Param('id', idParam()) id: string,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<void> {
    await this.service.delete(id, expectedVersion);
  }
}
