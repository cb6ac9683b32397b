import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { IdArgs, VersionedIdArgs } from '../../common/graphql/id.args';
import { idParam } from '../../common/http/id.pipe';
import { connectionPage, toConnection } from '../../common/pagination/pagination';
import { CreateDeviceInput, DeviceConnectionArgs, UpdateDeviceInput } from './device.input';
import { DeviceConnection, DeviceModel, toDeviceModel } from './device.model';
import { DevicesService } from './devices.service';

@Resolver(() => DeviceModel)
export class DevicesResolver {
  constructor(private readonly service: DevicesService) {}

  @Query(() => DeviceConnection)
  async devices(@Args() args: DeviceConnectionArgs): Promise<DeviceConnection> {
    return toConnection(
      await this.service.list(
        {
          q: args.q,
          siteId: args.siteId,
          vendor: args.vendor,
          tenantId: args.tenantId,
          deploymentId: args.deploymentId,
        },
        connectionPage(args),
      ),
      toDeviceModel,
    );
  }

  @Query(() => DeviceModel)
  async device(@Args() { id }: IdArgs): Promise<DeviceModel> {
    return toDeviceModel(await this.service.get(id));
  }

  @Mutation(() => DeviceModel)
  async createDevice(@Args('input') input: CreateDeviceInput): Promise<DeviceModel> {
    return toDeviceModel(await this.service.create(input));
  }

  @Mutation(() => DeviceModel)
  async updateDevice(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdateDeviceInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<DeviceModel> {
    return toDeviceModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => DeviceModel, { description: 'Returns the deleted device' })
  async deleteDevice(@Args() { id, expectedVersion }: VersionedIdArgs): Promise<DeviceModel> {
    return toDeviceModel(await this.service.delete(id, expectedVersion));
  }
}
