import { ParseUUIDPipe } from '@nestjs/common';
import { ValidationFailed } from '../errors/domain-error';

/** Path ids are UUIDs; anything else is a 400 naming the parameter rather than a 404 or a 500. */
export function idParam(name = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    version: undefined,
    exceptionFactory: () => ValidationFailed.field(name, `${name} must be a UUID`),
  });
}
