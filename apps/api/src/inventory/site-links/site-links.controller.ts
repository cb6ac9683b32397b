import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { idParam } from '../../common/http/id.pipe';
import { IfMatch } from '../../common/http/if-match.decorator';
import { ListResponse, type PageResult, pageOf } from '../../common/pagination/pagination';
import { CreateSiteLinkInput, SiteLinkListQuery, UpdateSiteLinkInput } from './site-link.input';
import { SiteLinkModel, toSiteLinkModel } from './site-link.model';
import { SiteLinksService } from './site-links.service';
import { Post } from '../../common/http/idempotency.interceptor';

const SiteLinkList = ListResponse(SiteLinkModel);

@ApiTags('site-links')
@Controller('site-links')
export class SiteLinksController {
  constructor(private readonly service: SiteLinksService) {}

  @Get()
  @ApiOkResponse({ type: SiteLinkList })
  async list(@Query() query: SiteLinkListQuery): Promise<PageResult<SiteLinkModel>> {
    const result = await this.service.list(
      { q: query.q, siteId: query.siteId, connectivity: query.connectivity, tenantId: query.tenantId },
      pageOf(query),
    );
    return { ...result, items: result.items.map(toSiteLinkModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: SiteLinkModel })
  async get(@Param('id', idParam()) id: string): Promise<SiteLinkModel> {
    return toSiteLinkModel(await this.service.get(id));
  }

  @Post()
  @ApiCreatedResponse({ type: SiteLinkModel })
  async create(@Body() input: CreateSiteLinkInput): Promise<SiteLinkModel> {
    return toSiteLinkModel(await this.service.create(input));
  }

  @Patch(':id')
  @ApiOkResponse({ type: SiteLinkModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdateSiteLinkInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<SiteLinkModel> {
    return toSiteLinkModel(await this.service.update(id, input, expectedVersion));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @Param('id', idParam()) id: string,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<void> {
    await this.service.delete(id, expectedVersion);
  }
}
