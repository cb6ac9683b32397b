/** Switchable faults for simulator routes. */

export type FaultSpec =
  /** Delay, then handle the request normally. */
  | { type: 'latency'; ms: number }
  /** Answer with this status instead of handling (the vendor's usual error body unless `body` is given). */
  | { type: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Answer 429 (default) or 503 with `Retry-After: <seconds>` instead of handling. */
  | { type: 'retry-after'; seconds: number; status?: 429 | 503 }
  /**
   * Destroy the socket without an answer. `before` (default): the request is NOT handled (no side effect).
   * `after`: the request IS handled (side effect happened) and then the answer is lost.
   */
  | { type: 'drop'; when?: 'before' | 'after' }
  /**
   * Never answer: hold the connection for `ms` (bounded by the server's `maxHangMs`), then destroy it.
   * `when` as for `drop`.
   */
  | { type: 'hang'; ms?: number; when?: 'before' | 'after' }
  /**
   * Handle the request normally, then run `change` before answering: someone else's edit landing right after this
   * call (an admin deleting a rule between a push's apply and its verification).
   */
  | { type: 'concurrent'; change: () => void };

export interface FaultRuleInput {
  /** HTTP method, a list, `*` (default) or `WRITE` (any method but GET/HEAD). */
  method?: string | string[];
  /** Exact path, or a RegExp tested against the path (default: every path). */
  path?: string | RegExp;
  fault: FaultSpec;
  /** Fire this many times, then stop matching (default: unlimited). */
  times?: number;
  /** Let this many matching calls through untouched before firing (default 0). */
  skip?: number;
}

interface FaultRule extends Required<Pick<FaultRuleInput, 'fault'>> {
  id: number;
  methods: string[] | '*' | 'WRITE';
  path: string | RegExp | null;
  times: number;
  skip: number;
  seen: number;
  fired: number;
}

export class FaultController {
  private rules: FaultRule[] = [];
  private nextId = 1;

  /** Adds a fault rule; returns its id (for `remove`). Rules are checked in insertion order. */
  add(input: FaultRuleInput): number {
    const method = input.method ?? '*';
    const methods: FaultRule['methods'] =
      method === '*' || method === 'WRITE'
        ? method
        : (Array.isArray(method) ? method : [method]).map((m) => m.toUpperCase());
    const rule: FaultRule = {
      id: this.nextId++,
      methods,
      path: input.path ?? null,
      fault: input.fault,
      times: input.times ?? Number.POSITIVE_INFINITY,
      skip: input.skip ?? 0,
      seen: 0,
      fired: 0,
    };
    this.rules.push(rule);
    return rule.id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  /** How many times the fault `id` fired. */
  firedCount(id: number): number {
    return this.rules.find((r) => r.id === id)?.fired ?? 0;
  }

  /** Returns the fault to inject for this call, if any (and counts the call against matching rules). */
  match(method: string, path: string): FaultSpec | null {
    const m = method.toUpperCase();
    for (const rule of this.rules) {
      if (!methodMatches(rule.methods, m)) continue;
      if (rule.path !== null && !(typeof rule.path === 'string' ? rule.path === path : rule.path.test(path)))
        continue;
      if (rule.fired >= rule.times) continue;
      rule.seen += 1;
      if (rule.seen <= rule.skip) continue;
      rule.fired += 1;
      return rule.fault;
    }
    return null;
  }
}

function methodMatches(methods: FaultRule['methods'], method: string): boolean {
  if (methods === '*') return true;
  if (methods === 'WRITE') return method !== 'GET' && method !== 'HEAD';
  return methods.includes(method);
}
