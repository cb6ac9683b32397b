import { INPUT_LIMITS, inspectInput, summariseFieldErrors } from './input-guard';

describe('inspectInput', () => {
  it('accepts ordinary input, dates included', () => {
    expect(
      inspectInput({ name: 'HQ', tags: ['a', 'b'], nested: { at: new Date(), n: 1, ok: null } }),
    ).toEqual([]);
  });

  it('names every string holding NUL by its path, in document order', () => {
    expect(inspectInput({ a: 'x\u0000', b: [{ c: 'ok' }, { c: '\u0000' }] }).map((e) => e.field)).toEqual([
      'a',
      'b.1.c',
    ]);
    expect(inspectInput('\u0000', 'id')).toEqual([
      { field: 'id', message: 'id must not contain NUL characters (U+0000)' },
    ]);
  });

  it('refuses lone UTF-16 surrogates (stored as U+FFFD otherwise) but keeps valid pairs', () => {
    expect(inspectInput({ ok: 'fw \u{1F525} \ud83d\udd25', cjk: '防火墙' })).toEqual([]);
    expect(inspectInput({ a: 'a\ud800b', b: ['\udc00'] })).toEqual([
      { field: 'a', message: 'a must be well-formed Unicode (no lone surrogate)' },
      { field: 'b.0', message: 'b.0 must be well-formed Unicode (no lone surrogate)' },
    ]);
    expect(inspectInput({ 'k\ud800': 1 }).map((e) => e.field)).toEqual(['body']);
  });

  it('refuses strings over the default maximum length', () => {
    expect(inspectInput({ s: 'x'.repeat(INPUT_LIMITS.maxStringLength) })).toEqual([]);
    expect(inspectInput({ s: 'x'.repeat(INPUT_LIMITS.maxStringLength + 1) })).toEqual([
      { field: 's', message: 's must be at most 131072 characters' },
    ]);
  });

  it('refuses prototype keys by name and over-long or NUL keys without echoing them', () => {
    const body = JSON.parse('{"__proto__":{"x":1},"a":{"constructor":1,"prototype":2}}') as unknown;
    expect(inspectInput(body).map((e) => e.field)).toEqual(['__proto__', 'a.constructor', 'a.prototype']);
    const long = 'k'.repeat(INPUT_LIMITS.maxKeyLength + 1);
    const errors = inspectInput({ a: { [long]: 1, 'b\u0000': 2 } });
    expect(errors.map((e) => e.field)).toEqual(['a', 'a']);
    expect(JSON.stringify(errors)).not.toContain(long);
  });

  it('stops at the maximum depth without recursing (a million levels)', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`) as unknown;
    const errors = inspectInput({ d: deep });
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe(`d${'.0'.repeat(INPUT_LIMITS.maxDepth - 1)} nests deeper than 32 levels`);
    const allowed = JSON.parse(
      `${'['.repeat(INPUT_LIMITS.maxDepth)}${']'.repeat(INPUT_LIMITS.maxDepth)}`,
    ) as unknown;
    expect(inspectInput(allowed)).toEqual([]);
  });

  it('reports at most maxErrors problems', () => {
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, '\u0000']));
    expect(inspectInput(many)).toHaveLength(INPUT_LIMITS.maxErrors);
  });
});

describe('summariseFieldErrors', () => {
  it('joins the first ten messages and counts the rest', () => {
    const errors = Array.from({ length: 12 }, (_, i) => ({ field: `f${i}`, message: `m${i}` }));
    expect(summariseFieldErrors(errors)).toBe('m0; m1; m2; m3; m4; m5; m6; m7; m8; m9; and 2 more');
    expect(summariseFieldErrors([])).toBe('The request is invalid');
  });
});
