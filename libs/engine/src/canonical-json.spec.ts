import { createHash } from 'node:crypto';
import { canonicalJson, canonicalJsonSha256 } from './canonical-json';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The plain definition: a deep copy with keys inserted sorted, then JSON.stringify. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      const record = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(record).sort()) {
        if (record[key] !== undefined) out[key] = sortKeys(record[key]);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

describe('canonicalJsonSha256', () => {
  const values: Array<[string, object]> = [
    ['nested objects, keys out of order', { b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } }],
    ['undefined members and functions', { a: undefined, b: () => 1, c: [undefined, () => 1, 2], d: 'é → …' }],
    ['index-like keys', { 10: 'ten', 2: 'two', b: [{ 1: 'one', a: 'a' }], a: 0 }],
    // eslint-disable-next-line no-sparse-arrays
    ['holes and non-finite numbers', { a: [1, , { b: NaN }], c: [Infinity, -0] }],
    ['arrays of arrays', { a: [[{ b: 2, a: 1 }], [], ['s', 1, false, null]] }],
    ['a string longer than one chunk', { long: 'x'.repeat(3 << 20), short: ['y'] }],
    [
      'multi-byte text in pieces filling several chunks',
      { rows: Array.from({ length: 60_000 }, (_, i) => ({ t: `é→😀 ${i}`, i })), after: '€' },
    ],
    ['objects that are not plain', { a: [new Date(0), new Map([[1, 2]])], b: { c: new Date(0) } }],
    [
      'inherited and shadowing keys',
      { a: [{ constructor: 1, toString: 'x' }, { b: 2 }], z: Object.create(null) },
    ],
    [
      'keys in some objects only',
      {
        r: [
          { b: 1, a: { y: 1 } },
          { c: 2, a: { x: 1, b: [{ d: 1, a: 0 }] } },
        ],
      },
    ],
  ];
  it.each(values)('is the SHA-256 of canonicalJson, which is the plain definition (%s)', (_, value) => {
    expect(canonicalJson(value)).toBe(reference(value));
    expect(canonicalJsonSha256(value)).toBe(sha256(reference(value)));
  });

  it('writes long lists, shared or nested, as the plain definition does', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `node-${i}`);
    // eslint-disable-next-line no-sparse-arrays
    const odd = [...ids, undefined, () => 1, , NaN];
    const value = {
      rules: [
        { z: ids, a: [{ y: ids, b: 1 }, { x: odd }], m: ids },
        { short: ['a'], long: Array.from({ length: 2000 }, (_, i) => ({ i, k: 'v' })) },
        { own: { toJSON: () => 'written by toJSON' }, list: ids },
      ],
      top: ids,
    };
    expect(canonicalJsonSha256(value)).toBe(sha256(reference(value)));
  });
});
