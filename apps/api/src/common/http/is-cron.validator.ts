import { CronExpressionParser } from 'cron-parser';
import { registerDecorator, type ValidationArguments } from 'class-validator';

export function cronProblem(expression: string): string | null {
  if (expression.trim().split(/\s+/).length !== 5)
    return 'must be a 5-field cron expression (minute hour day month weekday)';
  try {
    CronExpressionParser.parse(expression);
    return null;
  } catch (error) {
    return `is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function IsCron(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCron',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && cronProblem(value) === null,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} ${typeof args.value === 'string' ? cronProblem(args.value) : 'must be a string'}`,
      },
    });
  };
}
