export const SCOPES = ['read', 'write', 'push', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * `read` sees inventory, catalog, rule sets and history; `write` changes inventory and catalog;
 * `push` plans and pushes to firewalls; `admin` manages tokens, webhooks, settings and the audit log.
 * Any scope implies `read`, and `admin` implies every scope.
 */
export function grants(granted: readonly string[], required: Scope): boolean {
  if (granted.includes('admin')) return true;
  if (required === 'read') return granted.some((s) => (SCOPES as readonly string[]).includes(s));
  return granted.includes(required);
}
