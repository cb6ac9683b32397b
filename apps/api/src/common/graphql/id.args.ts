import { ArgsType, Field, ID, Int } from '@nestjs/graphql';
import { IsBoolean, IsInt, IsOptional, IsUUID, Min } from 'class-validator';

@ArgsType()
export class IdArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}

@ArgsType()
export class VersionedIdArgs extends IdArgs {
  @Field(() => Int, {
    nullable: true,
    description: 'Refuse (PRECONDITION_FAILED) unless the resource is at this version',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  expectedVersion?: number;
}

@ArgsType()
export class DeleteArgs extends VersionedIdArgs {
  @Field({
    nullable: true,
    defaultValue: false,
    description: 'Also remove (or detach) what still references it',
  })
  @IsOptional()
  @IsBoolean()
  cascade?: boolean;
}
