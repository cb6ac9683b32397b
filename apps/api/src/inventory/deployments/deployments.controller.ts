import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DeleteQuery } from '../../common/http/delete-query';
import { idParam } from '../../common/http/id.pipe';
import { IfMatch } from '../../common/http/if-match.decorator';
import { ListResponse, type PageResult, pageOf } from '../../common/pagination/pagination';
import { CreateDeploymentInput, DeploymentListQuery, UpdateDeploymentInput } from './deployment.input';
import { DeploymentModel, toDeploymentModel } from './deployment.model';
import { DeploymentsService } from './deployments.service';
import { Post } from '../../common/http/idempotency.interceptor';

const DeploymentList = ListResponse(DeploymentModel);

@ApiTags('deployments')
@Controller('deployments')
export class DeploymentsController {
  constructor(private readonly service: DeploymentsService) {}

  @Get()
  @ApiOkResponse({ type: DeploymentList })
  async list(@Query() query: DeploymentListQuery): Promise<PageResult<DeploymentModel>> {
    const result = await this.service.list(
      { q: query.q, catalogVersion: query.catalogVersion, tenantId: query.tenantId },
      pageOf(query),
    );
    return { ...result, items: result.items.map(toDeploymentModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: DeploymentModel })
  async get(@Param('id', idParam()) id: string): Promise<DeploymentModel> {
    return toDeploymentModel(await this.service.get(id));
  }

  @Post()
  @ApiCreatedResponse({ type: DeploymentModel })
  async create(@Body() input: CreateDeploymentInput): Promise<DeploymentModel> {
    return toDeploymentModel(await this.service.create(input));
  }

  @Patch(':id')
  @ApiOkResponse({ type: DeploymentModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdateDeploymentInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<DeploymentModel> {
    return toDeploymentModel(await this.service.update(id, input, expectedVersion));
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
