import type { Role } from '@app/engine/model';

/**
 * Roles that may have a collector, and which roles may be one, per catalog version: v9 collects on the
 * master or a probe; v11 on a collector agent, or on the master itself (the default when none is set).
 */
export const COLLECTED_ROLES: readonly Role[] = ['agent', 'agentless'];

export function collectorRolesFor(catalogVersion: string): readonly Role[] {
  return catalogVersion === 'utmstack-v11' ? ['agent', 'master'] : ['master', 'probe'];
}

/** The catalog version a node uses: its site's override, else its deployment's. */
export function effectiveCatalogVersion(
  site: { catalogVersion: string | null },
  deployment: { catalogVersion: string },
): string {
  return site.catalogVersion ?? deployment.catalogVersion;
}
