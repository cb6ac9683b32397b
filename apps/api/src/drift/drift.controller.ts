import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { RequireScope } from '../auth/auth.decorators';
import { idParam } from '../common/http/id.pipe';
import { DriftReportModel } from './drift.model';
import { DriftService, toDriftModel } from './drift.service';
import { Post } from '../common/http/idempotency.interceptor';

export class DriftQuery {
  /** Accepted for clients written when GET checked the device live; GET now always answers the recorded check. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  cached?: boolean;
}

/**
 * Reads never contact a device: GET answers the latest recorded check. A live check logs in to the firewall with
 * its stored credentials, so it needs the `push` scope, like plans and pushes.
 */
@ApiTags('drift')
@Controller('devices')
export class DriftController {
  constructor(private readonly service: DriftService) {}

  @Get(':id/drift')
  @ApiQuery({ name: 'cached', required: false, type: Boolean, deprecated: true, description: 'Ignored' })
  @ApiOkResponse({ type: DriftReportModel, description: 'The latest recorded check; contacts nothing' })
  @ApiNotFoundResponse({
    description: 'Unknown device (NOT_FOUND), or no check recorded yet (NO_DRIFT_CHECK)',
  })
  async latest(@Param('id', idParam()) id: string, @Query() _query: DriftQuery): Promise<DriftReportModel> {
    return toDriftModel(await this.service.latest(id));
  }

  @Post(':id/drift')
  @RequireScope('push')
  @ApiCreatedResponse({
    type: DriftReportModel,
    description: 'Checks the live device now and records the result',
  })
  async check(@Param('id', idParam()) id: string): Promise<DriftReportModel> {
    return toDriftModel(await this.service.check(id, 'api'));
  }
}
