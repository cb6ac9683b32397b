import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { RequireScope } from '../auth/auth.decorators';
import type { GraphQLContext } from '../common/graphql/graphql-context';
import { IdArgs } from '../common/graphql/id.args';
import { idParam } from '../common/http/id.pipe';
import { connectionPage, toConnection } from '../common/pagination/pagination';
import { DeviceModel } from '../inventory/devices/device.model';
import { FleetSummaryModel } from './fleet-summary.model';
import { FleetSummaryService } from './fleet-summary.service';
import { DevicePushesArgs, FleetPushInput, PushConnectionArgs, PushInput } from './push.input';
import { PushLoaderFactory, type PushLoaders } from './push.loaders';
import { FleetPushModel, PushConnection, PushModel, toPushModel } from './push.model';
import { PushesService } from './pushes.service';

type PushContext = GraphQLContext & { pushLoaders?: PushLoaders };

@Resolver(() => PushModel)
export class PushesResolver {
  constructor(
    private readonly service: PushesService,
    private readonly summaries: FleetSummaryService,
  ) {}

  @Query(() => PushConnection, { description: 'Push history, newest first' })
  async pushes(@Args() args: PushConnectionArgs): Promise<PushConnection> {
    const { first: _f, after: _a, ...filter } = args;
    return toConnection(await this.service.list(filter, connectionPage(args)), toPushModel);
  }

  @Query(() => PushModel)
  async push(@Args() { id }: IdArgs): Promise<PushModel> {
    return toPushModel(await this.service.get(id));
  }

  @Query(() => FleetSummaryModel, { description: 'Devices per push state, last success, never pushed' })
  fleetSummary(): Promise<FleetSummaryModel> {
    return this.summaries.summary();
  }

  @Mutation(() => PushModel, { description: 'Queues a push (trigger manual); follow it with push(id)' })
  @RequireScope('push')
  async pushDevice(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input', { nullable: true }) input?: PushInput,
  ): Promise<PushModel> {
    return toPushModel(await this.service.request(id, input ?? {}, 'manual'));
  }

  @Mutation(() => FleetPushModel, { description: 'Queues one push per selected device' })
  @RequireScope('push')
  async pushFleet(@Args('input') input: FleetPushInput): Promise<FleetPushModel> {
    const result = await this.service.requestFleet(input, 'manual');
    return { ...result, pushes: result.pushes.map(toPushModel) };
  }

  @Mutation(() => PushModel, { description: 'Cancels a queued push (CONFLICT once it runs)' })
  @RequireScope('push')
  async cancelPush(@Args() { id }: IdArgs): Promise<PushModel> {
    return toPushModel(await this.service.cancel(id));
  }
}

@Resolver(() => DeviceModel)
export class DevicePushesResolver {
  constructor(private readonly loaders: PushLoaderFactory) {}

  @ResolveField(() => PushConnection, { description: 'Pushes of this device, newest first' })
  async pushes(
    @Parent() device: DeviceModel,
    @Args() args: DevicePushesArgs,
    @Context() ctx: PushContext,
  ): Promise<PushConnection> {
    ctx.pushLoaders ??= this.loaders.create();
    const page = await ctx.pushLoaders.devicePushes.load({
      deviceId: device.id,
      page: connectionPage(args),
      state: args.state,
    });
    return toConnection(page, toPushModel);
  }

  @ResolveField(() => PushModel, { nullable: true, description: 'The latest push (dry runs included)' })
  async lastPush(@Parent() device: DeviceModel, @Context() ctx: PushContext): Promise<PushModel | null> {
    ctx.pushLoaders ??= this.loaders.create();
    const push = await ctx.pushLoaders.lastPush.load(device.id);
    return push ? toPushModel(push) : null;
  }
}
