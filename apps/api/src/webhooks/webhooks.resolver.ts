import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { RequireScope } from '../auth/auth.decorators';
import { IdArgs, VersionedIdArgs } from '../common/graphql/id.args';
import { idParam } from '../common/http/id.pipe';
import { connectionPage, toConnection } from '../common/pagination/pagination';
import {
  CreatedWebhookModel,
  CreateWebhookInput,
  DeliveryConnectionArgs,
  toDeliveryModel,
  toWebhookModel,
  UpdateWebhookInput,
  WebhookDeliveryConnection,
  WebhookListArgs,
  WebhookModel,
} from './webhook.model';
import { WebhooksService } from './webhooks.service';

@Resolver(() => WebhookModel)
@RequireScope('admin')
export class WebhooksResolver {
  constructor(private readonly service: WebhooksService) {}

  @Query(() => [WebhookModel])
  async webhooks(@Args() filter: WebhookListArgs): Promise<WebhookModel[]> {
    return (await this.service.list(filter, { limit: 500, offset: 0 })).items.map(toWebhookModel);
  }

  @Query(() => WebhookModel)
  async webhook(@Args() { id }: IdArgs): Promise<WebhookModel> {
    return toWebhookModel(await this.service.get(id));
  }

  @Mutation(() => CreatedWebhookModel, { description: 'The signing secret is shown once' })
  async createWebhook(@Args('input') input: CreateWebhookInput): Promise<CreatedWebhookModel> {
    const { webhook, secret } = await this.service.create(input);
    return { ...toWebhookModel(webhook), secret };
  }

  @Mutation(() => WebhookModel)
  async updateWebhook(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdateWebhookInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<WebhookModel> {
    return toWebhookModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => WebhookModel, { description: 'Returns the deleted webhook' })
  async deleteWebhook(@Args() { id, expectedVersion }: VersionedIdArgs): Promise<WebhookModel> {
    return toWebhookModel(await this.service.delete(id, expectedVersion));
  }

  @ResolveField(() => WebhookDeliveryConnection, { description: 'Delivery log, newest first' })
  async deliveries(
    @Parent() webhook: WebhookModel,
    @Args() args: DeliveryConnectionArgs,
  ): Promise<WebhookDeliveryConnection> {
    return toConnection(await this.service.deliveries(webhook.id, {}, connectionPage(args)), toDeliveryModel);
  }
}
