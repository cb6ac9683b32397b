import { Conflict } from './errors/domain-error';
import { refuseTakenName, refuseWhileReferenced } from './conflicts';

function thrown(run: () => void): Conflict {
  try {
    run();
  } catch (error) {
    if (error instanceof Conflict) return error;
    throw error;
  }
  throw new Error('expected a Conflict');
}

describe('refuseTakenName', () => {
  it('passes a name nobody holds', () => {
    expect(() => refuseTakenName('site', 'HQ', null)).not.toThrow();
    expect(() => refuseTakenName('zone', 'lan', null, 'site')).not.toThrow();
  });

  // The wording each service answered before the check was shared (sites, deployments, devices, tenants).
  it('names an entity-wide name and its holder', () => {
    const conflict = thrown(() => refuseTakenName('deployment', 'Acme', { id: 'd-1' }));
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toBe('a deployment named "Acme" already exists');
    expect(conflict.errors).toEqual([{ field: 'name', message: 'name is already taken' }]);
    expect(conflict.details).toEqual({ existingId: 'd-1' });
  });

  // Nodes and zones are unique per site, and said so.
  it('names a per-site name and its holder', () => {
    const conflict = thrown(() => refuseTakenName('node', 'hq-master', { id: 'n-1' }, 'site'));
    expect(conflict.message).toBe('site already has a node named "hq-master"');
    expect(conflict.errors).toEqual([{ field: 'name', message: 'name is already taken in this site' }]);
    expect(conflict.details).toEqual({ existingId: 'n-1' });
  });
});

describe('refuseWhileReferenced', () => {
  it('lets a delete through while nothing references the row', () => {
    expect(() => refuseWhileReferenced('unused', { zones: [], nodes: [], devices: [] })).not.toThrow();
  });

  // As the site delete answered before: every list named, the empty ones too.
  it('refuses when any list has a row, with every list in referencedBy and no field errors', () => {
    const nodes = [{ id: 'n-1', name: 'hq-master' }];
    const conflict = thrown(() =>
      refuseWhileReferenced('site HQ still has 0 zone(s), 1 node(s) and 0 device(s)', {
        zones: [],
        nodes,
        devices: [],
      }),
    );
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toBe('site HQ still has 0 zone(s), 1 node(s) and 0 device(s)');
    expect(conflict.errors).toEqual([]);
    expect(conflict.details).toEqual({ referencedBy: { zones: [], nodes, devices: [] } });
  });
});
