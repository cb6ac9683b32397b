import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { idParam } from '../../common/http/id.pipe';
import { IfMatch } from '../../common/http/if-match.decorator';
import { ListResponse, type PageResult, pageOf } from '../../common/pagination/pagination';
import { CreateDeviceInput, DeviceListQuery, UpdateDeviceInput } from './device.input';
import { DeviceModel, toDeviceModel } from './device.model';
import { DevicesService } from './devices.service';
import { Post } from '../../common/http/idempotency.interceptor';

const DeviceList = ListResponse(DeviceModel);

@ApiTags('devices')
@Controller('devices')
export class DevicesController {
  constructor(private readonly service: DevicesService) {}

  @Get()
  @ApiOkResponse({ type: DeviceList })
  async list(@Query() query: DeviceListQuery): Promise<PageResult<DeviceModel>> {
    const result = await this.service.list(
      {
        q: query.q,
        siteId: query.siteId,
        vendor: query.vendor,
        tenantId: query.tenantId,
        deploymentId: query.deploymentId,
      },
      pageOf(query),
    );
    return { ...result, items: result.items.map(toDeviceModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: DeviceModel })
  async get(@Param('id', idParam()) id: string): Promise<DeviceModel> {
    return toDeviceModel(await this.service.get(id));
  }

  @Post()
  @ApiCreatedResponse({ type: DeviceModel })
  async create(@Body() input: CreateDeviceInput): Promise<DeviceModel> {
    return toDeviceModel(await this.service.create(input));
  }

  @Patch(':id')
  @ApiOkResponse({ type: DeviceModel })
  async update(
    @Param('id', idParam()) id: string,
    @Body() input: UpdateDeviceInput,
    @IfMatch() expectedVersion: number | undefined,
  ): Promise<DeviceModel> {
    return toDeviceModel(await this.service.update(id, input, expectedVersion));
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
