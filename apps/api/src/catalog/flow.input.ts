import { ArgsType, Field, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { CATALOG_VERSIONS } from '@app/catalog';
import { parsePorts } from '@app/engine';
import { PROTOCOLS, ROLES, type Protocol, type Role } from '@app/engine/model';
import { OptionalNotNull, OptionalNullable } from '../common/http/validators';
import { NodeRoleEnum } from '../inventory/nodes/node.model';
import { FLOW_TARGETS, ProtocolEnum } from './flow.model';

const FLOW_ID = /^[a-z][a-z0-9-]{2,62}$/;
const SELECTOR = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function portsProblem(text: string): string | null {
  try {
    parsePorts(text);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** `1514-1516,55000`: ports 1-65535, ranges low-high, comma-separated. */
function IsPortList(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPortList',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && portsProblem(value) === null,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property}: ${typeof args.value === 'string' ? portsProblem(args.value) : 'must be a string like "1514-1516,55000"'}`,
      },
    });
  };
}

@InputType('CreateCustomFlowInput')
export class CreateCustomFlowInput {
  @ApiPropertyOptional({ example: 'custom-wazuh-api', description: 'Stable id (generated when omitted)' })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @Matches(FLOW_ID, { message: 'id must be 3-63 lowercase letters, digits or "-", starting with a letter' })
  id?: string;

  @ApiProperty({ enum: CATALOG_VERSIONS })
  @Field()
  @IsIn(CATALOG_VERSIONS)
  version!: string;

  @ApiProperty({ enum: ROLES })
  @Field(() => NodeRoleEnum)
  @IsIn(ROLES)
  from!: Role;

  @ApiProperty({ enum: FLOW_TARGETS })
  @Field()
  @IsIn(FLOW_TARGETS)
  to!: string;

  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  @IsIn(PROTOCOLS)
  protocol!: Protocol;

  @ApiProperty({ example: '1514-1516,55000' })
  @Field()
  @IsString()
  @IsPortList()
  ports!: string;

  @ApiProperty({ example: 'Wazuh API from the collector' })
  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  purpose!: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'syslog' })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsString()
  @Matches(SELECTOR, { message: 'selector must be lowercase letters, digits, "_" or "-"' })
  selector?: string | null;
}

@InputType('UpdateCustomFlowInput')
export class UpdateCustomFlowInput {
  @ApiPropertyOptional({ enum: ROLES })
  @Field(() => NodeRoleEnum, { nullable: true })
  @OptionalNotNull()
  @IsIn(ROLES)
  from?: Role;

  @ApiPropertyOptional({ enum: FLOW_TARGETS })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsIn(FLOW_TARGETS)
  to?: string;

  @ApiPropertyOptional({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum, { nullable: true })
  @OptionalNotNull()
  @IsIn(PROTOCOLS)
  protocol?: Protocol;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @IsPortList()
  ports?: string;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  purpose?: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsString()
  @Matches(SELECTOR, { message: 'selector must be lowercase letters, digits, "_" or "-"' })
  selector?: string | null;
}

export class FlowListQuery {
  @ApiPropertyOptional({
    enum: CATALOG_VERSIONS,
    description: 'Builtin and custom flows of this version (all when omitted)',
  })
  @IsOptional()
  @IsIn(CATALOG_VERSIONS)
  version?: string;
}

@ArgsType()
export class FlowListArgs {
  @Field({ nullable: true })
  @IsOptional()
  @IsIn(CATALOG_VERSIONS)
  version?: string;
}
