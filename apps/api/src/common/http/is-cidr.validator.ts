import { registerDecorator, type ValidationArguments } from 'class-validator';
import { describeInvalidCidr } from '@app/engine';

/** Each element must be an IPv4/IPv6 address or CIDR without host bits set. */
export function IsCidrList(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCidrList',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) &&
          value.every((v) => typeof v === 'string' && describeInvalidCidr(v) === null),
        defaultMessage: (args: ValidationArguments) => {
          const list = Array.isArray(args.value) ? (args.value as unknown[]) : [];
          const index = list.findIndex((v) => typeof v !== 'string' || describeInvalidCidr(v) !== null);
          const bad = list[index];
          if (typeof bad !== 'string') return `${args.property}.${index} must be a string`;
          return `${args.property}.${index}: ${describeInvalidCidr(bad)}`;
        },
      },
    });
  };
}
