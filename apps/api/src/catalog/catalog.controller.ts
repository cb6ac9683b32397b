import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CATALOG_VERSIONS } from '@app/catalog';
import { IfMatch } from '../common/http/if-match.decorator';
import { CatalogService } from './catalog.service';
import { CreateCustomFlowInput, FlowListQuery, UpdateCustomFlowInput } from './flow.input';
import { FlowModel, NeverExposedPortModel, toFlowModel } from './flow.model';
import { Post } from '../common/http/idempotency.interceptor';

@ApiTags('catalog')
@Controller('catalog')
export class CatalogController {
  constructor(private readonly service: CatalogService) {}

  @Get('versions')
  @ApiOkResponse({ type: [String] })
  versions(): readonly string[] {
    return CATALOG_VERSIONS;
  }

  @Get('flows')
  @ApiOkResponse({ type: [FlowModel] })
  async flows(@Query() query: FlowListQuery): Promise<FlowModel[]> {
    return (await this.service.flows(query.version)).map(toFlowModel);
  }

  @Get('flows/:id')
  @ApiOkResponse({ type: FlowModel })
  async flow(@Param('id') id: string): Promise<FlowModel> {
    return toFlowModel(await this.service.flow(id));
  }

  @Post('flows')
  @ApiCreatedResponse({ type: FlowModel })
  async create(@Body() input: CreateCustomFlowInput): Promise<FlowModel> {
    return toFlowModel(await this.service.createCustom(input));
  }

  @Patch('flows/:id')
  @ApiOkResponse({ type: FlowModel })
  async update(
    @Param('id') id: string,
    @Body() input: UpdateCustomFlowInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<FlowModel> {
    return toFlowModel(await this.service.updateCustom(id, input, expectedVersion));
  }

  @Delete('flows/:id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @IfMatch() expectedVersion: number | undefined): Promise<void> {
    await this.service.deleteCustom(id, expectedVersion);
  }

  @Get('never-exposed')
  @ApiOkResponse({ type: [NeverExposedPortModel] })
  neverExposed(): NeverExposedPortModel[] {
    return this.service.neverExposed().map((p) => ({ ...p, versions: [...p.versions] }));
  }
}
