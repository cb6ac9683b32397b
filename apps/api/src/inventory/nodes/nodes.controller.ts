import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DeleteQuery } from '../../common/http/delete-query';
import { idParam } from '../../common/http/id.pipe';
import { IfMatch } from '../../common/http/if-match.decorator';
import { ListResponse, type PageResult, pageOf } from '../../common/pagination/pagination';
import { CreateNodeInput, NodeListQuery, UpdateNodeInput } from './node.input';
import { NodeModel, toNodeModel } from './node.model';
import { NodesService } from './nodes.service';
import { Post } from '../../common/http/idempotency.interceptor';

const NodeList = ListResponse(NodeModel);

@ApiTags('nodes')
@Controller('nodes')
export class NodesController {
  constructor(private readonly service: NodesService) {}

  @Get()
  @ApiOkResponse({ type: NodeList })
  async list(@Query() query: NodeListQuery): Promise<PageResult<NodeModel>> {
    const result = await this.service.list(
      {
        q: query.q,
        siteId: query.siteId,
        role: query.role,
        deploymentId: query.deploymentId,
        tenantId: query.tenantId,
      },
      pageOf(query),
    );
    return { ...result, items: result.items.map(toNodeModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: NodeModel })
  async get(@Param('id', idParam()) id: string): Promise<NodeModel> {
    return toNodeModel(await this.service.get(id));
  }

  @Post()
  @ApiCreatedResponse({ type: NodeModel })
  async create(@Body() input: CreateNodeInput): Promise<NodeModel> {
    return toNodeModel(await this.service.create(input));
  }

  @Patch(':id')
  @ApiOkResponse({ type: NodeModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdateNodeInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<NodeModel> {
    return toNodeModel(await this.service.update(id, input, expectedVersion));
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
