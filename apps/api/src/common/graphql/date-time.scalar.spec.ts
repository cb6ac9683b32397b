import { Kind, parseValue as parseLiteralText } from 'graphql';
import { DateTimeScalar } from './date-time.scalar';

describe('DateTime scalar', () => {
  it('reads date-time strings, as variables and as literals', () => {
    expect(DateTimeScalar.parseValue('2026-12-03T09:54:33Z')).toEqual(new Date('2026-12-03T09:54:33Z'));
    expect(DateTimeScalar.parseValue('2026-12-03T10:54:33.120+01:00')).toEqual(
      new Date('2026-12-03T09:54:33.120Z'),
    );
    expect(DateTimeScalar.parseLiteral(parseLiteralText('"2026-12-03T09:54Z"'), {})).toEqual(
      new Date('2026-12-03T09:54:00Z'),
    );
  });

  it.each([
    true,
    0,
    1e20,
    [1],
    {},
    null,
    '',
    'yesterday',
    '2026-12-03',
    '2026-13-01T00:00:00Z',
    '2026-12-03T09:54:33',
  ])('refuses the variable %j instead of guessing a date', (value) => {
    expect(() => DateTimeScalar.parseValue(value)).toThrow(/DateTime must be a date-time string/);
  });

  it.each(['2026', 'true', '[1, "a"]', '{ a: 1 }', 'SOME_ENUM', '"not a date"'])(
    'refuses the literal %s instead of reading it as null',
    (text) => {
      const ast = parseLiteralText(text);
      expect(ast.kind === Kind.NULL).toBe(false);
      expect(() => DateTimeScalar.parseLiteral(ast, {})).toThrow(/DateTime must be a date-time string/);
    },
  );

  it('writes dates as ISO strings', () => {
    expect(DateTimeScalar.serialize(new Date('2026-12-03T09:54:33Z'))).toBe('2026-12-03T09:54:33.000Z');
  });
});
