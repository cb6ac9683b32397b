import { registerDecorator, type ValidationArguments } from 'class-validator';
import { isPublicAddress } from '../../inventory/publications/publication-rules';

const WHY = "must be an IPv4 host address (no prefix) or 'interface' (the interface's own address)";

/** One public address of a NAT entry: an IPv4 host or `interface`. */
export function IsPublicAddress(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPublicAddress',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isPublicAddress(value),
        defaultMessage: (args: ValidationArguments) => `${args.property} ${WHY}`,
      },
    });
  };
}

/** Each element an IPv4 host or `interface`, without duplicates. */
export function IsPublicAddressList(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPublicAddressList',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) &&
          value.every((v) => typeof v === 'string' && isPublicAddress(v)) &&
          new Set(value).size === value.length,
        defaultMessage: (args: ValidationArguments) => {
          const list = Array.isArray(args.value) ? (args.value as unknown[]) : [];
          const index = list.findIndex((v) => typeof v !== 'string' || !isPublicAddress(v));
          if (index < 0) {
            const dup = list.findIndex((v, i) => list.indexOf(v) !== i);
            return `${args.property}.${dup} duplicates ${args.property}.${list.indexOf(list[dup])}`;
          }
          return `${args.property}.${index} ${WHY}`;
        },
      },
    });
  };
}
