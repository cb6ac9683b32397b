import type { CatalogFlow } from '@app/engine/model';
import { UTMSTACK_V11, UTMSTACK_V11_FLOWS } from './utmstack-v11';
import { UTMSTACK_V9, UTMSTACK_V9_FLOWS } from './utmstack-v9';

export { UTMSTACK_V9, UTMSTACK_V9_FLOWS } from './utmstack-v9';
export { UTMSTACK_V11, UTMSTACK_V11_FLOWS, UTMSTACK_V11_INTEGRATIONS } from './utmstack-v11';
export { NEVER_EXPOSED_PORTS, NEVER_ROUTABLE_NETWORKS } from './never-exposed';
export type { NeverExposedPort } from './never-exposed';

/** Builtin catalog versions, oldest first. */
export const CATALOG_VERSIONS = [UTMSTACK_V9, UTMSTACK_V11] as const;
export type CatalogVersion = (typeof CATALOG_VERSIONS)[number];
export const DEFAULT_CATALOG_VERSION: CatalogVersion = UTMSTACK_V9;

const BUILTIN: Record<CatalogVersion, readonly CatalogFlow[]> = {
  [UTMSTACK_V9]: UTMSTACK_V9_FLOWS,
  [UTMSTACK_V11]: UTMSTACK_V11_FLOWS,
};

export function isCatalogVersion(version: string): version is CatalogVersion {
  return (CATALOG_VERSIONS as readonly string[]).includes(version);
}

/**
 * The builtin flows of a catalog version (fresh copies, safe to mutate); all versions when omitted;
 * an empty list for an unknown version.
 */
export function builtinFlows(version?: string): CatalogFlow[] {
  const versions = version === undefined ? CATALOG_VERSIONS : isCatalogVersion(version) ? [version] : [];
  return versions.flatMap((v) =>
    BUILTIN[v].map((flow) => ({
      ...flow,
      ports: flow.ports.map((r) => ({ ...r })),
      selector: flow.selector ?? null,
    })),
  );
}
