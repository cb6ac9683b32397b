import { traceReachability } from '@app/engine/reachability';
import { IncrementalRuleSets } from '@app/engine/incremental';
import type { RuleSet } from '@app/engine/model';
import type { EngineCalls, EngineOp, EngineRequest } from './protocol';

/**
 * The engine side of the worker: one {@link IncrementalRuleSets} and the calls the service makes on it.
 * Kept apart from the worker entry so it can also run in the calling thread.
 */
export class RuleEngine implements EngineCalls {
  private engine: IncrementalRuleSets | null = null;

  load({ inventory, flows, prefix }: Parameters<EngineCalls['load']>[0]): { devices: number } {
    this.engine = new IncrementalRuleSets(inventory, flows, { prefix });
    return { devices: this.engine.deviceIds().length };
  }

  apply({ changes, compute }: Parameters<EngineCalls['apply']>[0]): ReturnType<EngineCalls['apply']> {
    const engine = this.loaded();
    const result = engine.apply(changes);
    if (!compute) return result;
    const affected = new Set(result.affected);
    const ruleSets: RuleSet[] = [];
    for (const id of compute) {
      const ruleSet = result.all || affected.has(id) ? engine.ruleSet(id) : null;
      if (ruleSet) ruleSets.push(ruleSet);
    }
    return { ...result, ruleSets };
  }

  ruleSets({ deviceIds }: Parameters<EngineCalls['ruleSets']>[0]): ReturnType<EngineCalls['ruleSets']> {
    const engine = this.loaded();
    return deviceIds.map((id) => engine.ruleSet(id));
  }

  reachability({
    from,
    to,
    filter,
  }: Parameters<EngineCalls['reachability']>[0]): ReturnType<EngineCalls['reachability']> {
    const engine = this.loaded();
    const inventory = engine.inventory();
    const nodes = new Set(inventory.nodes.map((n) => n.id));
    if (!nodes.has(from)) return { unknown: 'from' };
    if (!nodes.has(to)) return { unknown: 'to' };
    return { result: traceReachability(inventory, engine.currentFlows(), engine.all(), from, to, filter) };
  }

  settle(): { devices: number } {
    return { devices: this.loaded().all().length };
  }

  dispose(): null {
    this.engine = null;
    return null;
  }

  /** Computes one step of the pending rule sets; false when nothing is pending. */
  backgroundStep(): boolean {
    const engine = this.engine;
    if (!engine) return false;
    const pending = engine.pending();
    if (pending.length === 0) return false;
    // Many pending (a load, a site or catalog change): one full computation is cheaper than one by one.
    if (pending.length * 8 > engine.deviceIds().length) engine.computePending();
    else engine.ruleSet(pending[0]);
    return true;
  }

  call(request: EngineRequest): unknown {
    const op: EngineOp = request.op;
    switch (op) {
      case 'load':
        return this.load(request.args as Parameters<EngineCalls['load']>[0]);
      case 'apply':
        return this.apply(request.args as Parameters<EngineCalls['apply']>[0]);
      case 'ruleSets':
        return this.ruleSets(request.args as Parameters<EngineCalls['ruleSets']>[0]);
      case 'reachability':
        return this.reachability(request.args as Parameters<EngineCalls['reachability']>[0]);
      case 'settle':
        return this.settle();
      case 'dispose':
        return this.dispose();
    }
  }

  private loaded(): IncrementalRuleSets {
    if (!this.engine) throw new Error('rule engine not loaded');
    return this.engine;
  }
}
