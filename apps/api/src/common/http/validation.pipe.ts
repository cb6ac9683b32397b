import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationFailed, type FieldError } from '../errors/domain-error';
import { assertSafeInput, summariseFieldErrors } from './input-guard';

/** Constraints that check a value's type: when one fails, the others fail only as a consequence. */
const TYPE_CONSTRAINTS = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isArray', 'isObject']);

/**
 * Flattens class-validator's tree into `field.path: message` entries, one cause per field: a missing required value
 * says so once, a value of the wrong type reports its type, not every length or pattern rule it also fails.
 */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = Object.entries(error.constraints ?? {});
    const typeErrors = constraints.filter(([name]) => TYPE_CONSTRAINTS.has(name));
    if (constraints.length > 0 && error.value === undefined && !error.constraints?.whitelistValidation) {
      out.push({ field, message: `${field} is required` });
    } else {
      for (const [, message] of typeErrors.length > 0 ? typeErrors : constraints) {
        const text = message.startsWith(`${error.property} `)
          ? field + message.slice(error.property.length)
          : message;
        out.push({ field, message: text });
      }
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/**
 * The global pipe: INPUT_LIMITS first, before class-transformer recurses into the value, then class-validator.
 * The body middleware already checked REST bodies and query strings; this also covers path parameters and GraphQL
 * arguments (Nest hands them over as `body`), whose inline literals never pass through that middleware.
 */
class GuardedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Custom decorators hand over server-side values (the principal, If-Match), not client input to walk.
    if (metadata.type !== 'custom') assertSafeInput(value, metadata.data ?? '');
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new GuardedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    // Values are read to tell a missing field from a wrong one; they never leave flattenValidationErrors.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => {
      const fields = flattenValidationErrors(errors);
      return new ValidationFailed(fields, summariseFieldErrors(fields));
    },
  });
}
