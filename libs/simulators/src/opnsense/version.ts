/**
 * Version-dependent behaviour of the OPNsense firewall API (reference/opnsense-api.md §0). The simulator takes a
 * firmware version string and derives every switch from it, so a test picks "a 24.7 box" rather than flags.
 */

export type VersionTuple = [number, number, number];

export function parseVersion(version: string): VersionTuple {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) throw new Error(`invalid OPNsense version "${version}" (expected e.g. 25.7.5)`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function atLeast(version: VersionTuple, wanted: string): boolean {
  const w = parseVersion(wanted);
  for (let i = 0; i < 3; i++) {
    if (version[i] !== w[i]) return version[i] > w[i];
  }
  return true;
}

export interface OpnFeatures {
  /** 24.1 (Phalcon) answered 500 for unknown routes; later 404 `Endpoint not found`. */
  unknownRouteStatus: 404 | 500;
  /** `savepoint`, `cancelRollback/{rev}`, `revert/{rev}` exist (removed in 26.7, core PR #10411). */
  savepoint: boolean;
  /** `moveRuleBefore`, `toggleRuleLog`, `getInterfaceList` (25.1.5+). */
  moveRule: boolean;
  /** `inet46`, `TCP/UDP`, multi-value nets and the advanced fields (25.1+). */
  advancedFields: boolean;
  /** FilterSequenceField 1..999999 with default max+100 (25.1.5+), else Integer 1..99999 default 1. */
  sequenceMax: number;
  sequenceDefaultMaxPlus100: boolean;
  /** searchRule without `interface`: 25.1.5..26.1 lists only floating rules (the paging/filter trap). */
  searchRuleNoInterface: 'all' | 'floating';
  /** searchRule pagination/searchPhrase/sort read only from the POST body (25.1.5+). */
  searchRulePostOnly: boolean;
  /** Row content of searchRule: 4 label fields (≤25.1.4), all fields as labels (25.1.5..25.1.x), raw + `%field`. */
  searchRuleRows: 'four-labels' | 'all-labels' | 'raw';
  /** add/set/toggle take the config lock (25.1.3+); before, only del did and concurrent writes could be lost. */
  configLockAll: boolean;
  /** 24.1 priorities 1000/2000/3000 (all automation rules before all legacy ones); later 200000/300000/400000. */
  legacyPriorities: boolean;
  /** `apply` also reloads alias tables (≤26.1); 26.7 runs `filter reload skip_alias`. */
  applyLoadsAliases: boolean;
}

export function featuresOf(version: string): OpnFeatures {
  const v = parseVersion(version);
  const v2515 = atLeast(v, '25.1.5');
  return {
    unknownRouteStatus: atLeast(v, '24.7') ? 404 : 500,
    savepoint: !atLeast(v, '26.7'),
    moveRule: v2515,
    advancedFields: atLeast(v, '25.1'),
    sequenceMax: v2515 ? 999_999 : 99_999,
    sequenceDefaultMaxPlus100: v2515,
    searchRuleNoInterface: v2515 && !atLeast(v, '26.7') ? 'floating' : 'all',
    searchRulePostOnly: v2515,
    searchRuleRows: atLeast(v, '25.7') ? 'raw' : v2515 ? 'all-labels' : 'four-labels',
    configLockAll: atLeast(v, '25.1.3'),
    legacyPriorities: !atLeast(v, '24.7'),
    applyLoadsAliases: !atLeast(v, '26.7'),
  };
}
