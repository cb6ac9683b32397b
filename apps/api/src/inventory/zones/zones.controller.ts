import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DeleteQuery } from '../../common/http/delete-query';
import { idParam } from '../../common/http/id.pipe';
import { IfMatch } from '../../common/http/if-match.decorator';
import { ListResponse, type PageResult, pageOf } from '../../common/pagination/pagination';
import { CreateZoneInput, UpdateZoneInput, ZoneListQuery } from './zone.input';
import { ZoneModel, toZoneModel } from './zone.model';
import { ZonesService } from './zones.service';
import { Post } from '../../common/http/idempotency.interceptor';

const ZoneList = ListResponse(ZoneModel);

@ApiTags('zones')
@Controller('zones')
export class ZonesController {
  constructor(private readonly service: ZonesService) {}

  @Get()
  @ApiOkResponse({ type: ZoneList })
  async list(@Query() query: ZoneListQuery): Promise<PageResult<ZoneModel>> {
    const result = await this.service.list(
      {
        q: query.q,
        siteId: query.siteId,
        tenantId: query.tenantId,
        deploymentId: query.deploymentId,
      },
      pageOf(query),
    );
    return { ...result, items: result.items.map(toZoneModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: ZoneModel })
  async get(@Param('id', idParam()) id: string): Promise<ZoneModel> {
    return toZoneModel(await this.service.get(id));
  }

  @Post()
  @ApiCreatedResponse({ type: ZoneModel })
  async create(@Body() input: CreateZoneInput): Promise<ZoneModel> {
    return toZoneModel(await this.service.create(input));
  }

  @Patch(':id')
  @ApiOkResponse({ type: ZoneModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdateZoneInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<ZoneModel> {
    return toZoneModel(await this.service.update(id, input, expectedVersion));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @Param('id', idParam()) id: string,
    @Query() query: DeleteQuery,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<void> {
    await this.service.delete(id, query.cascade ?? false, expectedVersion);
  }
}
