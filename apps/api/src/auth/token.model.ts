import { Field, ID, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import { ConnectionType } from '../common/pagination/pagination';
import type { TokenView } from './tokens.service';

@ObjectType('ApiToken', { description: 'An API token; its secret is shown only once, at creation' })
export class TokenModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty({ example: 'uto_AbCd…', description: 'First characters, to recognise the token' })
  @Field()
  hint!: string;

  @ApiProperty({ type: [String] })
  @Field(() => [String])
  scopes!: string[];

  @ApiProperty({
    type: [String],
    description: 'Tenants the token is limited to; empty: a provider token, which sees every resource',
  })
  @Field(() => [String])
  tenantIds!: string[];

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  createdBy!: string | null;

  @ApiProperty()
  @Field()
  createdAt!: Date;
}

@ObjectType('CreatedApiToken')
export class CreatedTokenModel extends TokenModel {
  @ApiProperty({
    nullable: true,
    description:
      'The secret: send it as `Authorization: Bearer <token>`. Not shown again: null on an Idempotency-Key replay (header Idempotent-Secret-Withheld: true).',
  })
  @Field()
  token!: string;
}

@ObjectType('ApiTokenConnection')
export class TokenConnection extends ConnectionType(TokenModel) {}

export function toTokenModel(view: TokenView): TokenModel {
  return {
    id: view.id,
    name: view.name,
    hint: view.hint,
    scopes: view.scopes,
    tenantIds: view.tenantIds,
    expiresAt: view.expiresAt,
    revokedAt: view.revokedAt,
    lastUsedAt: view.lastUsedAt,
    createdBy: view.createdBy,
    createdAt: view.createdAt,
  };
}
