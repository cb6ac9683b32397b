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
  /**
   * `apply` also reloads alias tables up to 26.1.10; 26.1.11 and 26.7 run `filter reload skip_alias`
   * (opnsense/core commit a3091013d7, 2026-06-25, `M/controllers/OPNsense/Firewall/Api/FilterBaseController.php`
   * `applyAction`; vendor-conformance O29).
   */
  applyLoadsAliases: boolean;
  /**
   * What `cancelRollback/{rev}` answers when no timer is pending: rollback_cancel.php exits 1, configd's
   * script_output raises "Execute error", and `Backend::configdRun` returns null up to 25.7.2 but '' from 25.7.3
   * (`M/library/OPNsense/Core/Backend.php` L173-179, core commit 32d24c1358 2025-08-26; vendor-conformance O30).
   */
  noTimerStatus: null | '';
  /**
   * Whether the rollback timer armed by `apply/{savepoint revision}` can restore anything. 25.7-26.1.x: no, the
   * savepoint revision is rounded (`sprintf('%0.2f')`, `M/library/OPNsense/Core/Config.php` L489) while the backup
   * file is named from another microtime() (L746, L758), so rollback_timer.php finds no backup (core#10721;
   * vendor-conformance O31). Before 25.7 the revision is not rounded: unknown whether it always matched; taken as
   * working.
   */
  rollbackRestores: boolean;
  /**
   * ProtocolField upper-cases its input from 26.1 (core commit 33e296120f, 2026-01-24,
   * `M/models/OPNsense/Base/FieldTypes/ProtocolField.php` `setValue`; vendor-conformance O9); before, only the
   * upper-case option keys are valid.
   */
  protocolCaseFold: boolean;
  /**
   * Destination NAT (port forward) API `/api/firewall/d_nat/*` (opnsense/core PR #9473, commit da976d77fb,
   * first tag 26.1: `M/controllers/OPNsense/Firewall/Api/DNatController.php`, `M/models/OPNsense/Firewall/DNat.xml`).
   * Before 26.1 port forwards are legacy PHP pages only: every d_nat route is a dispatch 404.
   */
  natApi: boolean;
  /**
   * DNat.xml validation messages: 26.1.0 says "Please specify a valid portnumber, name, alias or range." for the
   * destination/source port AND local-port; 26.1.1+ "…valid port number, well-known name, alias or range." and
   * "Please specify a valid port number or alias." (DNat.xml at tags 26.1 vs 26.1.1).
   */
  natPortMessagesV2: boolean;
  /** local-port accepts well-known names (`https`) from 26.1.3 (core #9880 backport; DNat.xml at 26.1.3). */
  natLocalPortWellKnown: boolean;
  /**
   * DNat::performValidation (26.1.4+, core #9885): ports only with tcp/udp/tcp-udp, address family vs
   * `ipprotocol` (DNat.php at tag 26.1.4).
   */
  natModelChecks: boolean;
  /** DNat::performValidation: No RDR forbids target and local-port (26.1.11+, core #10447; DNat.php at 26.1.11). */
  natNordrChecks: boolean;
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
    applyLoadsAliases: !atLeast(v, '26.1.11'),
    noTimerStatus: atLeast(v, '25.7.3') ? '' : null,
    rollbackRestores: !(atLeast(v, '25.7') && !atLeast(v, '26.7')),
    protocolCaseFold: atLeast(v, '26.1'),
    natApi: atLeast(v, '26.1'),
    natPortMessagesV2: atLeast(v, '26.1.1'),
    natLocalPortWellKnown: atLeast(v, '26.1.3'),
    natModelChecks: atLeast(v, '26.1.4'),
    natNordrChecks: atLeast(v, '26.1.11'),
  };
}
