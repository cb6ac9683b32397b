import { Field, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsString, IsUUID } from 'class-validator';
import { IsInventoryName, OptionalNotNull } from '../common/http/validators';
import { SCOPES, type Scope } from './scopes';

@InputType('CreateTokenInput')
export class CreateTokenInput {
  @ApiProperty({ example: 'servicenow' })
  @Field()
  @IsString()
  @IsInventoryName()
  name!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['read', 'write'] })
  @Field(() => [String])
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(SCOPES, { each: true, message: `each scope must be one of ${SCOPES.join(', ')}` })
  scopes!: Scope[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When the token stops working' })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsISO8601({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description:
      'Limit the token to these tenants: it sees and changes only their resources. Omitted: unlimited for a ' +
      "provider token; the creating token's own tenants for a token limited to tenants (a subset is allowed)",
  })
  @Field(() => [String], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  tenantIds?: string[];
}
