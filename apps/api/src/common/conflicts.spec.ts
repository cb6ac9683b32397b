import { Conflict } from './errors/domain-error';
import { refuseTakenName } from './conflicts';

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
