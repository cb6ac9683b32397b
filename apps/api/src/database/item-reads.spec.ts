import { ItemCache, type Site } from '@app/persistence';
import { requestContext } from '../common/request-context';
import { ItemReads } from './item-reads';
import type { PrismaService } from './prisma.service';

const row = { id: 's1', name: 'cached', tenantId: 't1' } as Site;

function setup(): { reads: ItemReads; cache: ItemCache; findUnique: ReturnType<typeof vi.fn> } {
  const cache = new ItemCache(10_000);
  cache.setListening(true);
  const findUnique = vi.fn(() => Promise.resolve({ ...row, name: 'from the database' }));
  const prisma = { site: { findUnique } } as unknown as PrismaService;
  return { reads: new ItemReads(prisma, cache), cache, findUnique };
}

const limitedTo = (tenantIds: string[]) => ({
  principal: { tokenId: 'k', name: 'tenant token', scopes: ['read'], tenantIds },
});

describe('ItemReads', () => {
  it('answers a cached row without a query, as a copy', async () => {
    const { reads, cache, findUnique } = setup();
    await cache.read('Site:s1', () => Promise.resolve(row));
    const first = await reads.byId('Site', 's1');
    expect(first).toEqual(row);
    first!.name = 'changed by the caller';
    expect((await reads.byId('Site', 's1'))?.name).toBe('cached');
    expect(findUnique).not.toHaveBeenCalled();
  });

  it('reads a row the cache does not hold through the client, by id alone', async () => {
    const { reads, findUnique } = setup();
    expect((await reads.byId('Site', 's1'))?.name).toBe('from the database');
    expect(findUnique).toHaveBeenCalledWith({ where: { id: 's1' } });
  });

  it('sends a token limited to tenants to the database even when the row is cached', async () => {
    const { reads, cache, findUnique } = setup();
    await cache.read('Site:s1', () => Promise.resolve(row));
    const read = await requestContext.run(limitedTo(['t2']), () => reads.byId('Site', 's1'));
    expect(read?.name).toBe('from the database');
    expect(findUnique).toHaveBeenCalledTimes(1);
    // A provider token (no tenants) is not limited.
    await requestContext.run(limitedTo([]), () => reads.byId('Site', 's1'));
    expect(findUnique).toHaveBeenCalledTimes(1);
  });
});
