import { applyDecorators, type Type as Class } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  IsObject,
  IsOptional,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/** Field may be omitted, but `null` is validated (and refused) like any other value. */
export function OptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/** Field may be omitted or `null` (which clears it). */
export function OptionalNullable(): PropertyDecorator {
  return IsOptional();
}

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;

/** Inventory names: 1-63 characters, letters, digits, space, `.`, `_`, `-`, starting with a letter or digit. */
export function IsInventoryName(): PropertyDecorator {
  return applyDecorators(
    MinLength(1),
    MaxLength(63),
    Matches(NAME_PATTERN, {
      message: ({ property }) =>
        `${property} must start with a letter or digit and contain only letters, digits, spaces, ".", "_" or "-"`,
    }),
  );
}

/**
 * One nested input object. @ValidateNested alone accepts an array (it validates each element, so `[]` passes and
 * reaches the service as a list); @IsObject refuses arrays and scalars with "<field> must be an object".
 */
export function NestedObject(type: () => Class<unknown>): PropertyDecorator {
  return applyDecorators(IsObject(), ValidateNested(), Type(type));
}
