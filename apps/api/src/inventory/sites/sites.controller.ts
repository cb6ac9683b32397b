import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DeleteQuery } from '../../common/http/delete-query';
import { idParam } from '../../common/http/id.pipe';
import { IfMatch } from '../../common/http/if-match.decorator';
import { ListResponse, type PageResult, pageOf } from '../../common/pagination/pagination';
import { CreateSiteInput, SiteListQuery, UpdateSiteInput } from './site.input';
import { SiteModel, toSiteModel } from './site.model';
import { SitesService } from './sites.service';
import { Post } from '../../common/http/idempotency.interceptor';

const SiteList = ListResponse(SiteModel);

@ApiTags('sites')
@Controller('sites')
export class SitesController {
  constructor(private readonly service: SitesService) {}

  @Get()
  @ApiOkResponse({ type: SiteList })
  async list(@Query() query: SiteListQuery): Promise<PageResult<SiteModel>> {
    const result = await this.service.list(
      {
        q: query.q,
        catalogVersion: query.catalogVersion,
        deploymentId: query.deploymentId,
        tenantId: query.tenantId,
        connectivity: query.connectivity,
      },
      pageOf(query),
    );
    return { ...result, items: result.items.map(toSiteModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: SiteModel })
  async get(@Param('id', idParam()) id: string): Promise<SiteModel> {
    return toSiteModel(await this.service.get(id));
  }

  @Post()
  @ApiCreatedResponse({ type: SiteModel })
  async create(@Body() input: CreateSiteInput): Promise<SiteModel> {
    return toSiteModel(await this.service.create(input));
  }

  @Patch(':id')
  @ApiOkResponse({ type: SiteModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdateSiteInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<SiteModel> {
    return toSiteModel(await this.service.update(id, input, expectedVersion));
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
