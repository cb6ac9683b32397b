import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { DeleteArgs, IdArgs } from '../../common/graphql/id.args';
import { idParam } from '../../common/http/id.pipe';
import { connectionPage, toConnection } from '../../common/pagination/pagination';
import { CreateZoneInput, UpdateZoneInput, ZoneConnectionArgs } from './zone.input';
import { ZoneConnection, ZoneModel, toZoneModel } from './zone.model';
import { ZonesService } from './zones.service';

@Resolver(() => ZoneModel)
export class ZonesResolver {
  constructor(private readonly service: ZonesService) {}

  @Query(() => ZoneConnection)
  async zones(@Args() args: ZoneConnectionArgs): Promise<ZoneConnection> {
    return toConnection(
      await this.service.list(
        { q: args.q, siteId: args.siteId, tenantId: args.tenantId, deploymentId: args.deploymentId },
        connectionPage(args),
      ),
      toZoneModel,
    );
  }

  @Query(() => ZoneModel)
  async zone(@Args() { id }: IdArgs): Promise<ZoneModel> {
    return toZoneModel(await this.service.get(id));
  }

  @Mutation(() => ZoneModel)
  async createZone(@Args('input') input: CreateZoneInput): Promise<ZoneModel> {
    return toZoneModel(await this.service.create(input));
  }

  @Mutation(() => ZoneModel)
  async updateZone(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdateZoneInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<ZoneModel> {
    return toZoneModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => ZoneModel, { description: 'Returns the deleted zone' })
  async deleteZone(@Args() { id, cascade, expectedVersion }: DeleteArgs): Promise<ZoneModel> {
    return toZoneModel(await this.service.delete(id, cascade ?? false, expectedVersion));
  }
}
