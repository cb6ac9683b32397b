import { ConnectorError } from './errors';
import type {
  DesiredState,
  ManagedAddress,
  ManagedRule,
  ManagedService,
  ManagedState,
  SequenceEntry,
} from './model';
import { isPlanEmpty } from './model';
import { computePlan, sameValue, type PlanOptions } from './plan';

const OPTS: PlanOptions = {
  vendor: 'pfsense',
  deviceId: 'fw',
  deviceKey: 'http://fw',
  ruleSetHash: 'h',
  prefix: 'utm_',
  blockPosition: 'top',
};

const addr = (name: string, entries: string[], extra: Partial<ManagedAddress> = {}): ManagedAddress => ({
  name,
  entries,
  description: `${name} [m]`,
  attributes: {},
  ...extra,
});
const svc = (name: string, port: number): ManagedService => ({
  name,
  protocol: null,
  ports: [{ from: port, to: port }],
  description: `${name} [m]`,
  attributes: {},
});
const rule = (name: string, scope = 'lan', extra: Partial<ManagedRule> = {}): ManagedRule => ({
  name,
  scope,
  ingress: scope,
  egress: null,
  family: 4,
  protocol: 'tcp',
  source: 'utm_a',
  destination: 'utm_b',
  service: 'utm_s',
  action: 'allow',
  enabled: true,
  description: `${name} [m]`,
  attributes: {},
  ...extra,
});

function desired(rules: ManagedRule[], extra: Partial<DesiredState> = {}): DesiredState {
  const order: Record<string, string[]> = {};
  for (const r of rules) order[r.scope] = [...(order[r.scope] ?? []), r.name];
  return {
    addresses: [addr('utm_a', ['10.0.0.1/32']), addr('utm_b', ['10.0.0.2/32'])],
    services: [svc('utm_s', 443)],
    rules,
    order,
    ...extra,
  };
}

const m = (name: string): SequenceEntry => ({ managed: true, name });
const u = (label: string): SequenceEntry => ({ managed: false, name: null, label });

function live(
  d: DesiredState,
  sequences: Record<string, SequenceEntry[]>,
  extra: Partial<ManagedState> = {},
): ManagedState {
  return {
    vendor: 'pfsense',
    deviceKey: 'http://fw',
    readAt: '2026-01-01T00:00:00.000Z',
    addresses: d.addresses.map((a) => ({ ...a, ref: `ref-${a.name}` })),
    services: d.services,
    rules: d.rules,
    sequences: Object.entries(sequences).map(([scope, entries]) => ({ scope, entries })),
    foreign: { addresses: [], services: [], rules: [] },
    pendingCommit: false,
    warnings: [],
    ...extra,
  };
}

const ids = (d: DesiredState, l: ManagedState, o: PlanOptions = OPTS): string[] =>
  computePlan(d, l, o).changes.map((c) => c.id);

describe('computePlan', () => {
  it('plans nothing for an unchanged device (refs are informational)', () => {
    const d = desired([rule('utm_r1'), rule('utm_r2')]);
    const plan = computePlan(d, live(d, { lan: [m('utm_r1'), m('utm_r2'), u('default')] }), OPTS);
    expect(plan.changes).toEqual([]);
    expect(isPlanEmpty(plan)).toBe(true);
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0, reorder: 0 });
  });

  it('creates everything on an empty device in dependency order', () => {
    const d = desired([rule('utm_r1'), rule('utm_r2')]);
    const empty: ManagedState = { ...live(d, {}), addresses: [], services: [], rules: [] };
    expect(ids(d, empty)).toEqual([
      'create:address:utm_a',
      'create:address:utm_b',
      'create:service:utm_s',
      'create:rule:utm_r1',
      'create:rule:utm_r2',
      'reorder:order:lan',
    ]);
  });

  it('orders updates before reorders before deletes (rules, then services, then addresses)', () => {
    const d = desired([rule('utm_r1', 'lan', { service: 'utm_s2' })], {
      services: [svc('utm_s2', 8443)],
    });
    const l = live(desired([rule('utm_r1'), rule('utm_r9')]), { lan: [m('utm_r1'), m('utm_r9')] });
    l.addresses.push(addr('utm_old', ['10.9.9.9/32']));
    d.addresses = [addr('utm_a', ['10.0.0.1/32', '10.0.0.3/32']), addr('utm_b', ['10.0.0.2/32'])];
    expect(ids(d, l)).toEqual([
      'update:address:utm_a',
      'create:service:utm_s2',
      'update:rule:utm_r1',
      'delete:rule:utm_r9',
      'delete:service:utm_s',
      'delete:address:utm_old',
    ]);
    const plan = computePlan(d, l, OPTS);
    const upd = plan.changes.find((c) => c.id === 'update:address:utm_a')!;
    expect(upd.before).toMatchObject({ entries: ['10.0.0.1/32'] });
    expect(upd.after).toMatchObject({ entries: ['10.0.0.1/32', '10.0.0.3/32'] });
  });

  it('reorders when the managed order differs, or when people put rules above the managed block', () => {
    const d = desired([rule('utm_r1'), rule('utm_r2')]);
    expect(ids(d, live(d, { lan: [m('utm_r2'), m('utm_r1')] }))).toEqual(['reorder:order:lan']);
    expect(ids(d, live(d, { lan: [u('x'), m('utm_r1'), m('utm_r2')] }))).toEqual(['reorder:order:lan']);
    expect(ids(d, live(d, { lan: [m('utm_r1'), u('x'), m('utm_r2')] }))).toEqual(['reorder:order:lan']);
    expect(ids(d, live(d, { lan: [m('utm_r1'), m('utm_r2'), u('x')] }))).toEqual([]);
    const bottom = { ...OPTS, blockPosition: 'bottom' as const };
    expect(ids(d, live(d, { lan: [u('x'), m('utm_r1'), m('utm_r2')] }), bottom)).toEqual([]);
    expect(ids(d, live(d, { lan: [m('utm_r1'), m('utm_r2'), u('x')] }), bottom)).toEqual([
      'reorder:order:lan',
    ]);
    const plan = computePlan(d, live(d, { lan: [m('utm_r2'), m('utm_r1')] }), OPTS);
    expect(plan.changes[0]).toMatchObject({ before: ['utm_r2', 'utm_r1'], after: ['utm_r1', 'utm_r2'] });
  });

  it('ignores managed rules that are about to be deleted when judging the order', () => {
    const d = desired([rule('utm_r1')]);
    const l = live(desired([rule('utm_r1'), rule('utm_r9')]), { lan: [m('utm_r1'), u('x'), m('utm_r9')] });
    expect(ids(d, l)).toEqual(['delete:rule:utm_r9']);
  });

  it('moves a rule to another interface with an update and orders the new scope', () => {
    const d = desired([rule('utm_r1', 'opt1')]);
    const l = live(desired([rule('utm_r1', 'lan')]), { lan: [m('utm_r1')] });
    expect(ids(d, l)).toEqual(['update:rule:utm_r1', 'reorder:order:opt1']);
  });

  it('deletes duplicate copies of a managed rule, keeping the first', () => {
    const d = desired([rule('utm_r1')]);
    const l = live(d, { lan: [m('utm_r1'), u('x'), m('utm_r1')] });
    l.rules = [rule('utm_r1', 'lan', { ref: '1' }), rule('utm_r1', 'lan', { ref: '2' })];
    const plan = computePlan(d, l, OPTS);
    expect(plan.changes.map((c) => c.id)).toEqual(['delete:rule:utm_r1#dup1']);
    expect(plan.changes[0].before).toMatchObject({ ref: '2' });
  });

  it('fails with a conflict listing every unmanaged object that holds a desired name', () => {
    const d = desired([rule('utm_r1')]);
    const l = live(
      d,
      { lan: [m('utm_r1')] },
      { foreign: { addresses: ['utm_a'], services: [], rules: ['utm_r1'] } },
    );
    let error: unknown;
    try {
      computePlan(d, l, OPTS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({
      kind: 'conflict',
      details: {
        conflicts: [
          { kind: 'address', name: 'utm_a', reason: expect.any(String) as unknown },
          { kind: 'rule', name: 'utm_r1', reason: expect.any(String) as unknown },
        ],
      },
    });
  });

  it('refuses an inconsistent desired state (prefix, duplicates, dangling references, shared namespace)', () => {
    const d = desired([rule('utm_r1', 'lan', { source: 'utm_missing' })]);
    expect(() => computePlan(d, live(d, {}), OPTS)).toThrow(/references unknown address object utm_missing/);
    const bad = desired([rule('x_r1')]);
    expect(() => computePlan(bad, live(bad, {}), OPTS)).toThrow(/does not start with utm_/);
    const shared = desired([rule('utm_r1')], { services: [svc('utm_s', 443), svc('utm_a', 22)] });
    expect(() => computePlan(shared, live(shared, {}), { ...OPTS, sharedObjectNamespace: true })).toThrow(
      /duplicate object name utm_a/,
    );
    expect(() => computePlan(shared, live(shared, {}), OPTS)).not.toThrow();
  });

  it('carries a pending commit from the live state', () => {
    const d = desired([rule('utm_r1')]);
    const plan = computePlan(d, live(d, { lan: [m('utm_r1')] }, { pendingCommit: true }), OPTS);
    expect(plan.changes).toEqual([]);
    expect(plan.pendingCommit).toBe(true);
    expect(isPlanEmpty(plan)).toBe(false);
  });

  it('compares values independently of key order and ignores ref', () => {
    expect(sameValue({ a: 1, b: [1, 2], ref: 'x' }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameValue({ a: 1, b: [2, 1] }, { a: 1, b: [1, 2] })).toBe(false);
  });
});
