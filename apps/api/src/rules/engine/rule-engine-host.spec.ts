import { EventEmitter } from 'node:events';
import type { EngineRequest } from './protocol';
import { type EngineThread, RuleEngineHost, SharedWorker } from './rule-engine-host';

describe('RuleEngineHost', () => {
  it('computes in a worker thread', async () => {
    const host = new RuleEngineHost();
    try {
      const inventory = {
        sites: [{ id: 's', name: 's', catalogVersion: 'v' }],
        zones: [{ id: 'z', siteId: 's', name: 'z', cidrs: ['10.0.0.0/24'] }],
        devices: [
          {
            id: 'd',
            siteId: 's',
            name: 'd',
            vendor: 'pfsense' as const,
            interfaces: [
              { name: 'lan', external: false, zoneIds: ['z'] },
              { name: 'wan', external: true, zoneIds: [] },
            ],
          },
        ],
        nodes: [
          {
            id: 'a',
            siteId: 's',
            name: 'a',
            role: 'agent' as const,
            addresses: ['10.0.0.5'],
            selectors: [],
            collectorId: 'm',
          },
          {
            id: 'm',
            siteId: 's',
            name: 'm',
            role: 'master' as const,
            addresses: ['192.0.2.1'],
            selectors: [],
          },
        ],
      };
      const flows = [
        {
          id: 'f',
          version: 'v',
          from: 'agent' as const,
          to: 'collector' as const,
          protocol: 'tcp' as const,
          ports: [{ from: 1, to: 1 }],
          purpose: 'p',
        },
      ];
      await host.call('load', { inventory, flows, prefix: 'utm_' });
      const [ruleSet] = await host.call('ruleSets', { deviceIds: ['d'] });
      expect(ruleSet?.rules).toHaveLength(1);

      // A change, and the rule sets asked for with it: answered as of after the change, as a later read would be;
      // only those it affected (an unknown device has none).
      const moved = { ...inventory.nodes[0], addresses: ['10.0.0.6'] };
      const applied = await host.call('apply', {
        changes: [{ kind: 'node', id: 'a', value: moved }],
        compute: ['d', 'no-such-device'],
      });
      expect(applied.affected).toEqual(['d']);
      expect(applied.ruleSets).toHaveLength(1);
      expect(JSON.stringify(applied.ruleSets?.[0])).toContain('10.0.0.6');
      expect(applied.ruleSets?.[0]).toEqual((await host.call('ruleSets', { deviceIds: ['d'] }))[0]);
      expect(applied.ruleSets?.[0]?.hash).not.toBe(ruleSet?.hash);

      // A change that leaves the device's rule set as it is answers nothing for it.
      const unrelated = await host.call('apply', {
        changes: [{ kind: 'zone', id: 'z-elsewhere', value: null }],
        compute: ['d'],
      });
      expect(unrelated.affected).toEqual([]);
      expect(unrelated.ruleSets).toEqual([]);
    } finally {
      await host.stop();
    }
  });
});

/** A worker thread that answers when told to, and fails when told to. */
class FakeThread extends EventEmitter implements EngineThread {
  readonly sent: EngineRequest[] = [];
  refs = 0;
  postMessage(request: EngineRequest): void {
    if (request.op === 'load' && 'unclonable' in request.args) throw new Error('could not be cloned');
    this.sent.push(request);
  }
  ref(): void {
    this.refs += 1;
  }
  unref(): void {
    this.refs = 0;
  }
  answer(id: number, value: unknown): void {
    this.emit('message', { id, ok: true, value });
  }
}

describe('SharedWorker', () => {
  const request = { slot: 1, op: 'settle', args: {} } as Omit<EngineRequest, 'id'>;

  function fleet(): { worker: SharedWorker; threads: FakeThread[] } {
    const threads: FakeThread[] = [];
    const worker = new SharedWorker(() => {
      const thread = new FakeThread();
      threads.push(thread);
      return thread;
    });
    return { worker, threads };
  }

  it("rejects only a failed thread's requests: its late 'exit' leaves its successor's alone", async () => {
    const { worker, threads } = fleet();
    const first = worker.send(request);
    threads[0].emit('error', new Error('worker crashed'));
    await expect(first).rejects.toThrow('worker crashed');
    expect(worker.running).toBe(false);

    // Sent between the failed thread's 'error' and its 'exit': goes to a new thread.
    const second = worker.send(request);
    expect(threads).toHaveLength(2);
    threads[0].emit('exit', 1);
    threads[1].answer(threads[1].sent[0].id, 'computed');
    await expect(second).resolves.toBe('computed');
    expect(threads[1].refs).toBe(0);
    expect(worker.starts).toBe(2);
  });

  it('rejects a request it could not send, and stops holding the process for it', async () => {
    const { worker, threads } = fleet();
    const unsendable = { slot: 1, op: 'load', args: { unclonable: true } } as unknown as Omit<
      EngineRequest,
      'id'
    >;
    await expect(worker.send(unsendable)).rejects.toThrow('could not be cloned');
    expect(threads[0].refs).toBe(0);
    // The thread is still usable.
    const next = worker.send(request);
    threads[0].answer(threads[0].sent[0].id, 'ok');
    await expect(next).resolves.toBe('ok');
  });
});
