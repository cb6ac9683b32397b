import type { Vendor } from '@app/engine/model';
import { ConnectorError } from './errors';

/**
 * The firmware (and API package) versions each connector is built and tested for. A device outside its range is
 * refused before anything is written: the request shapes were checked against the vendors' sources for these
 * versions only (vendor-conformance.md), and the simulators run as each of them in the matrix spec.
 */
export const SUPPORTED_VERSIONS: Record<Vendor, string> = {
  pfsense: 'pfSense REST API package 2.x on pfSense CE 2.7-2.8 or pfSense Plus 24.03-26.03',
  fortios: 'FortiOS 6.4-7.6',
  opnsense: 'OPNsense 24.7-26.7 (26.1+ automation rules API included)',
};

/** Leading numbers of a version string: `v7.4.3` → [7, 4, 3], `25.07.1-RELEASE` → [25, 7, 1]. */
export function versionNumbers(version: string): number[] | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : null;
}

/** -1, 0, 1 comparing the first `wanted.length` numbers of `version` with `wanted`. */
export function compareVersions(version: number[], wanted: number[]): number {
  for (let i = 0; i < wanted.length; i++) {
    const a = version[i] ?? 0;
    if (a !== wanted[i]) return a < wanted[i] ? -1 : 1;
  }
  return 0;
}

/** `from <= version` and `version <= to` on the numbers given (so `to` [7, 6] includes every 7.6.x). */
export function inRange(version: number[], from: number[], to: number[]): boolean {
  return compareVersions(version, from) >= 0 && compareVersions(version, to) <= 0;
}

/** The refusal, raised before any write. */
export function unsupportedVersion(vendor: Vendor, what: string, version: string | null): ConnectorError {
  return new ConnectorError({
    kind: 'validation',
    message:
      `${what} ${version ?? '(unreadable)'} is not supported: this connector supports ${SUPPORTED_VERSIONS[vendor]}. ` +
      'Nothing was written',
    details: { code: 'unsupported_version', vendor, version, supported: SUPPORTED_VERSIONS[vendor] },
  });
}
