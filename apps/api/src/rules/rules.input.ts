import { ArgsType, Field, ID, Int } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { PROTOCOLS, type Protocol } from '@app/engine/model';
import { ProtocolEnum } from '../catalog/flow.model';

export class ReachabilityQuery {
  @ApiProperty({ format: 'uuid', description: 'Source node id' })
  @IsUUID()
  from!: string;

  @ApiProperty({ format: 'uuid', description: 'Destination node id' })
  @IsUUID()
  to!: string;

  @ApiPropertyOptional({ enum: PROTOCOLS })
  @IsOptional()
  @IsIn(PROTOCOLS)
  protocol?: Protocol;

  @ApiPropertyOptional({ minimum: 1, maximum: 65535 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;
}

@ArgsType()
export class ReachabilityArgs {
  @Field(() => ID)
  @IsUUID()
  from!: string;

  @Field(() => ID)
  @IsUUID()
  to!: string;

  @Field(() => ProtocolEnum, { nullable: true })
  @IsOptional()
  @IsIn(PROTOCOLS)
  protocol?: Protocol;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;
}
