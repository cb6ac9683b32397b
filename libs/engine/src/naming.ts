/**
 * Deterministic names that fit every supported vendor:
 * - address and service objects: at most 31 characters of `[A-Za-z0-9_]`, never starting with a digit
 *   (pfSense/OPNsense alias limits; FortiOS allows 79);
 * - rules: at most 35 characters of the same alphabet (FortiOS policy names).
 * Every name starts with the configurable prefix (default `utm_`), which is how connectors recognise
 * what they own. A name that would be too long is cut and given `_` + a 6-hex-digit hash of the full
 * name, so it stays stable and distinct.
 *
 * Names are stable: they depend on what an item stands for, never on counts, group sizes or on which
 * other items exist (compute.ts builds the inputs; README "Names" has the scheme):
 * - address object: `<roles>_<interface>[_v6]_<hash of its members' signatures>` (describe.ts), so a node
 *   joining or leaving it changes its entries, not its name;
 * - service: protocol + ports;
 * - rule: `<source roles>_to_<destination roles>_<hash of its endpoints' names>_<protocol>[6]`.
 * {@link assignUniqueNames} adds the meaning hash (always for address objects, on a shared base otherwise)
 * and keeps every name of a device distinct.
 */
import { hash } from 'node:crypto';

export const DEFAULT_PREFIX = 'utm_';
export const MAX_OBJECT_NAME_LENGTH = 31;
export const MAX_RULE_NAME_LENGTH = 35;
export const MAX_PREFIX_LENGTH = 12;

const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** `null` when the prefix is usable, else why not. */
export function describeInvalidPrefix(prefix: string): string | null {
  if (!PREFIX_PATTERN.test(prefix)) {
    return `prefix "${prefix}" must start with a letter and use only letters, digits and "_"`;
  }
  if (prefix.length > MAX_PREFIX_LENGTH) {
    return `prefix "${prefix}" is longer than ${MAX_PREFIX_LENGTH} characters`;
  }
  // pfSense's REST API refuses alias names starting with `pkg_` (case-sensitive; pfrest/pfSense-pkg-RESTAPI
  // R/Validators/FilterNameValidator.inc, vendor-conformance P5), so such a prefix would fail every alias there.
  if (prefix.startsWith('pkg_')) {
    return `prefix "${prefix}" must not start with "pkg_" (pfSense reserves it for package aliases)`;
  }
  return null;
}

/** True when `name` is a valid managed name of at most `maxLength` characters. */
export function isValidName(name: string, maxLength: number): boolean {
  return name.length <= maxLength && NAME_PATTERN.test(name);
}

/** Lowercase hex SHA-256 of a string. */
export function sha256Hex(text: string): string {
  // the one-shot form: a Hash object per text took four times as long (names and hashes: ~300,000 at 10,000 sites)
  return hash('sha256', text, 'hex');
}

/** Short stable hash (first hex digits of SHA-256). */
export function shortHash(text: string, length = 6): string {
  return sha256Hex(text).slice(0, length);
}

/** Turns free text into a name fragment: runs of other characters become `_`, no leading/trailing `_`. */
export function sanitizeLabel(text: string): string {
  const label = text
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  return label === '' ? 'x' : label;
}

/**
 * `name` if it fits, else its first characters + `_` + a hash of the full name (+ `tail`, when `name` ends
 * with it: a rule keeps its `_tcp` when cut).
 */
export function fitName(name: string, maxLength: number, tail = ''): string {
  if (name.length <= maxLength) {
    return name;
  }
  const kept = tail !== '' && name.endsWith(tail) ? tail : '';
  const head = name.slice(0, maxLength - 7 - kept.length).replace(/_+$/, '');
  return `${head}_${shortHash(name)}${kept}`;
}

export interface UniqueNameOptions<T> {
  /** Items that get the meaning suffix even when no other item shares their base. */
  alwaysSuffix?: (item: T) => boolean;
  /** A tail that stays at the end when a suffix is added or the name is cut (a rule's `_tcp`). */
  tail?: (item: T) => string;
}

/**
 * A meaning key, or a function that writes it. Fine keys can be long to write (the member names of a hub
 * object: 275,000 of them at 10,000 sites) and are rarely needed (only while coarser keys leave two items
 * alike), so they are written only then.
 */
export type MeaningKey = string | (() => string);

/**
 * Gives every item a distinct name: its base, plus `_` + a hash of its meaning when other items share the
 * base (or always, for `alwaysSuffix` items). `meaning(item)` lists keys from the coarsest to the finest (the
 * last must tell every item apart, e.g. its content); each item is suffixed with the hash of the shortest
 * run of leading keys that no other item of its base shares, so the suffix never encodes a position or a
 * count, and an item keeps it when items that differ from it in a coarse key come or go. Names are then
 * fitted to `maxLength`. Order-independent: the result depends only on the (base, meaning) pairs.
 */
export function assignUniqueNames<T>(
  items: readonly T[],
  base: (item: T) => string,
  meaning: (item: T) => readonly MeaningKey[],
  maxLength: number,
  options: UniqueNameOptions<T> = {},
): Map<T, string> {
  const tail = options.tail ?? (() => '');
  // each item's keys, a function replaced by its text once called
  const keys = new Map<T, MeaningKey[]>();
  const keysOf = (item: T): MeaningKey[] => {
    let k = keys.get(item);
    if (k === undefined) keys.set(item, (k = [...meaning(item)]));
    return k;
  };
  /** JSON of the item's first `n` keys. */
  const run = (item: T, n: number): string => {
    const k = keysOf(item);
    const texts: string[] = [];
    for (let i = 0; i < Math.min(n, k.length); i++) {
      let key = k[i];
      if (typeof key !== 'string') k[i] = key = key();
      texts.push(key);
    }
    return JSON.stringify(texts);
  };
  const byBase = new Map<string, T[]>();
  for (const item of items) {
    const b = base(item);
    const list = byBase.get(b);
    if (list) list.push(item);
    else byBase.set(b, [item]);
  }
  const names = new Map<T, string>();
  const taken = new Map<string, T[]>();
  for (const [b, list] of byBase) {
    const alone = list.length === 1 && !(options.alwaysSuffix?.(list[0]) ?? false);
    const suffixes = alone
      ? null
      : meaningSuffixes(list, run, Math.max(...list.map((i) => keysOf(i).length)));
    for (const item of list) {
      const end = tail(item);
      const head = end !== '' && b.endsWith(end) ? b.slice(0, -end.length) : b;
      const rest = head === b ? '' : end;
      const name = fitName(suffixes ? `${head}_${suffixes.get(item) as string}${rest}` : b, maxLength, end);
      names.set(item, name);
      const same = taken.get(name);
      if (same) same.push(item);
      else taken.set(name, [item]);
    }
  }
  // Astronomically unlikely hash clashes (or items equal in every key): number them in meaning order.
  for (const [name, list] of taken) {
    if (list.length > 1) {
      const finest = new Map(list.map((item) => [item, run(item, Infinity)]));
      const key = (item: T): string => finest.get(item) as string;
      list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      list.forEach((item, i) => {
        const suffix = `_${i + 1}`;
        names.set(item, `${name.slice(0, maxLength - suffix.length)}${suffix}`);
      });
    }
  }
  return names;
}

/**
 * Per item of one base: hash of the shortest run of leading meaning keys that no other item shares. Only the
 * items still alike are compared at the next length: an item told apart by its first keys differs from every
 * other item in any longer run too.
 */
function meaningSuffixes<T>(
  list: readonly T[],
  run: (item: T, n: number) => string,
  depth: number,
): Map<T, string> {
  const out = new Map<T, string>();
  let open = list;
  for (let n = 1; n <= depth && open.length > 0; n++) {
    const runs = open.map((item) => run(item, n));
    const counts = new Map<string, number>();
    for (const r of runs) counts.set(r, (counts.get(r) ?? 0) + 1);
    const alike: T[] = [];
    open.forEach((item, i) => {
      if (counts.get(runs[i]) === 1 || n === depth) out.set(item, shortHash(runs[i]));
      else alike.push(item);
    });
    open = alike;
  }
  return out;
}
