import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { idParam } from '../../common/http/id.pipe';
import { IfMatch } from '../../common/http/if-match.decorator';
import { ListResponse, type PageResult, pageOf } from '../../common/pagination/pagination';
import { CreatePublicationInput, PublicationListQuery, UpdatePublicationInput } from './publication.input';
import { PublicationModel, toPublicationModel } from './publication.model';
import { PublicationsService } from './publications.service';
import { Post } from '../../common/http/idempotency.interceptor';

const PublicationList = ListResponse(PublicationModel);

@ApiTags('publications')
@Controller('publications')
export class PublicationsController {
  constructor(private readonly service: PublicationsService) {}

  @Get()
  @ApiOkResponse({ type: PublicationList })
  async list(@Query() query: PublicationListQuery): Promise<PageResult<PublicationModel>> {
    const result = await this.service.list(
      {
        q: query.q,
        nodeId: query.nodeId,
        deviceId: query.deviceId,
        siteId: query.siteId,
        tenantId: query.tenantId,
      },
      pageOf(query),
    );
    return { ...result, items: result.items.map(toPublicationModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: PublicationModel })
  async get(@Param('id', idParam()) id: string): Promise<PublicationModel> {
    return toPublicationModel(await this.service.get(id));
  }

  @Post()
  @ApiCreatedResponse({
    type: PublicationModel,
    description: 'Ports omitted: filled from the catalog and returned',
  })
  async create(@Body() input: CreatePublicationInput): Promise<PublicationModel> {
    return toPublicationModel(await this.service.create(input));
  }

  @Patch(':id')
  @ApiOkResponse({ type: PublicationModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdatePublicationInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<PublicationModel> {
    return toPublicationModel(await this.service.update(id, input, expectedVersion));
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
