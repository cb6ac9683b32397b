import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';

@ArgsType()
export class IdArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}

@ArgsType()
export class DeleteArgs extends IdArgs {
  @Field({
    nullable: true,
    defaultValue: false,
    description: 'Also remove (or detach) what still references it',
  })
  @IsOptional()
  @IsBoolean()
  cascade?: boolean;
}
