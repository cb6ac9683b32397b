import { DomainError } from '../common/errors/domain-error';
import { currentRequest, requestContext } from '../common/request-context';
import { asSystem, scopeArgs, TenantScope } from './tenant-scope';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';

describe('TenantScope', () => {
  it('is the provider scope outside requests, for provider tokens and inside asSystem', async () => {
    expect(TenantScope.current().limited).toBe(false);
    const principal = { tokenId: 't', name: 'n', scopes: ['read'], tenantIds: [T1] };
    await requestContext.run({ principal }, async () => {
      expect(TenantScope.current().tenantIds).toEqual([T1]);
      expect(await asSystem(() => Promise.resolve(TenantScope.current().limited))).toBe(false);
      expect(TenantScope.current().limited).toBe(true);
    });
    requestContext.run({ principal: { ...principal, tenantIds: [] } }, () => {
      expect(TenantScope.current().limited).toBe(false);
    });
  });

  it('runs a lazy query (a thenable started only when awaited) inside the system context', async () => {
    // Prisma queries are thenables that run on then(): asSystem must await them itself.
    const lazy: PromiseLike<boolean> = {
      then(onfulfilled, onrejected) {
        return Promise.resolve(currentRequest().system === true).then(onfulfilled, onrejected);
      },
    };
    await requestContext.run(
      { principal: { tokenId: 't', name: 'n', scopes: [], tenantIds: [T1] } },
      async () => {
        expect(await asSystem(() => lazy)).toBe(true);
      },
    );
  });

  it('ANDs its fragment into where, keeping unique fields at the top and existing AND clauses', () => {
    const scope = TenantScope.of([T1, T2]);
    expect(scopeArgs(scope, 'Site', 'findUnique', { where: { id: 'x' } })).toEqual({
      where: { id: 'x', AND: [{ tenantId: { in: [T1, T2] } }] },
    });
    expect(
      scopeArgs(scope, 'Device', 'findMany', { where: { AND: { vendor: 'pfsense' } }, take: 5 }),
    ).toEqual({
      where: { AND: [{ vendor: 'pfsense' }, { site: { tenantId: { in: [T1, T2] } } }] },
      take: 5,
    });
    expect(scopeArgs(scope, 'Node', 'count', undefined)).toEqual({
      where: { AND: [{ deployment: { tenantId: { in: [T1, T2] } } }] },
    });
    expect(scopeArgs(scope, 'Push', 'updateMany', { where: {}, data: {} })).toEqual({
      where: { AND: [{ device: { site: { tenantId: { in: [T1, T2] } } } }] },
      data: {},
    });
  });

  it('leaves provider queries, creates and global models alone', () => {
    const args = { where: { id: 'x' } };
    expect(scopeArgs(TenantScope.provider, 'Site', 'findUnique', args)).toBe(args);
    const create = { data: { name: 'x' } };
    expect(scopeArgs(TenantScope.of([T1]), 'Site', 'create', create)).toBe(create);
    expect(scopeArgs(TenantScope.of([T1]), 'InventoryRevision', 'findUnique', args)).toBe(args);
  });

  it('refuses catalog writes to tenant tokens but lets them read it', () => {
    const scope = TenantScope.of([T1]);
    expect(() => scopeArgs(scope, 'CustomFlow', 'create', { data: {} })).toThrow(DomainError);
    const read = { where: {} };
    expect(scopeArgs(scope, 'CustomFlow', 'findMany', read)).toBe(read);
  });

  it('sees its own tenants only, never the provider’s resources', () => {
    const scope = TenantScope.of([T1]);
    expect(scope.sees(T1)).toBe(true);
    expect(scope.sees(T2)).toBe(false);
    expect(scope.sees(null)).toBe(false);
    expect(TenantScope.provider.sees(null)).toBe(true);
  });
});
