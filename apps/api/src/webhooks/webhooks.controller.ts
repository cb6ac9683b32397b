import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/auth.decorators';
import { idParam } from '../common/http/id.pipe';
import { SecretResponseFields } from '../common/http/idempotency.interceptor';
import { IfMatch } from '../common/http/if-match.decorator';
import { ListQuery, ListResponse, type PageResult, pageOf } from '../common/pagination/pagination';
import {
  CreatedWebhookModel,
  CreateWebhookInput,
  toDeliveryModel,
  toWebhookModel,
  UpdateWebhookInput,
  WebhookDeliveryModel,
  WebhookListQuery,
  WebhookModel,
} from './webhook.model';
import { WebhooksService } from './webhooks.service';
import { Post } from '../common/http/idempotency.interceptor';

@ApiTags('webhooks')
@RequireScope('admin')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly service: WebhooksService) {}

  @Get()
  @ApiOkResponse({ type: ListResponse(WebhookModel) })
  async list(@Query() query: WebhookListQuery): Promise<PageResult<WebhookModel>> {
    const result = await this.service.list(query, pageOf(query));
    return { ...result, items: result.items.map(toWebhookModel) };
  }

  @Post()
  @SecretResponseFields('secret')
  @ApiCreatedResponse({ type: CreatedWebhookModel, description: 'The signing secret is shown once' })
  async create(@Body() input: CreateWebhookInput): Promise<CreatedWebhookModel> {
    const { webhook, secret } = await this.service.create(input);
    return { ...toWebhookModel(webhook), secret };
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookModel })
  async get(@Param('id', idParam()) id: string): Promise<WebhookModel> {
    return toWebhookModel(await this.service.get(id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: WebhookModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdateWebhookInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<WebhookModel> {
    return toWebhookModel(await this.service.update(id, input, expectedVersion));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @Param('id', idParam()) id: string,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<void> {
    await this.service.delete(id, expectedVersion);
  }

  @Get(':id/deliveries')
  @ApiOkResponse({ type: ListResponse(WebhookDeliveryModel), description: 'Delivery log, newest first' })
  async deliveries(
    @Param('id', idParam()) id: string,
    @Query() query: ListQuery,
  ): Promise<PageResult<WebhookDeliveryModel>> {
    const result = await this.service.deliveries(id, query, pageOf(query));
    return { ...result, items: result.items.map(toDeliveryModel) };
  }
}
