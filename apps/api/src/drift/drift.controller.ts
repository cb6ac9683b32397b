import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { idParam } from '../common/http/id.pipe';
import { DriftReportModel } from './drift.model';
import { DriftService, toDriftModel } from './drift.service';

export class DriftQuery {
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  cached?: boolean;
}

@ApiTags('drift')
@Controller('devices')
export class DriftController {
  constructor(private readonly service: DriftService) {}

  @Get(':id/drift')
  @ApiQuery({
    name: 'cached',
    required: false,
    type: Boolean,
    description: 'true: the latest recorded check (404 when none) instead of checking the device now',
  })
  @ApiOkResponse({ type: DriftReportModel, description: 'Checks the live device now and records the result' })
  async drift(@Param('id', idParam()) id: string, @Query() query: DriftQuery): Promise<DriftReportModel> {
    return toDriftModel(query.cached ? await this.service.latest(id) : await this.service.check(id, 'api'));
  }
}
