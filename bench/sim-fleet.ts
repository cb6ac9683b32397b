/**
 * A fleet of pfSense simulators in a process of their own, standing in for firewalls that are other machines: their
 * HTTP servers, handlers and 20 ms timers then do not share the service's event loop, so the push bench measures
 * the service's overhead against the devices' latency and not the simulators' CPU on the service's thread.
 * The child (`sim-fleet.child.ts`) answers the parent's requests over the IPC channel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { SimulatorCredentials, SimulatorTls } from '@app/simulators';

export interface FleetSimulator {
  url: string;
  credentials: SimulatorCredentials;
  tls: SimulatorTls;
}

export interface FleetOptions {
  latencyMs: number;
  interfaces: string[];
}

type FleetOp =
  | { op: 'start'; count: number; options: FleetOptions }
  | { op: 'reset' }
  | { op: 'restore' }
  | { op: 'counts' }
  | { op: 'stop' };

/** Requests the parent sends; every one is answered by a {@link FleetReply} with the same `id`. */
export type FleetRequest = { id: number } & FleetOp;

type FleetAnswer = { ok: true; sims?: FleetSimulator[]; counts?: { calls: number; writes: number }[] };

export type FleetReply = { id: number } & (FleetAnswer | { ok: false; error: string });

export interface SimFleet {
  sims: FleetSimulator[];
  /** Clears every simulator's call log. */
  reset(): Promise<void>;
  /** Every simulator back to its seed (no managed objects, nothing pending), its call log cleared. */
  restore(): Promise<void>;
  /** Calls and writes each simulator received since its last reset, in fleet order. */
  counts(): Promise<{ calls: number; writes: number }[]>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 60_000;

export async function startSimFleet(count: number, options: FleetOptions): Promise<SimFleet> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', 'tsconfig-paths/register', '-r', './scripts/swc-register.js', 'bench/sim-fleet.child.ts'],
    { cwd: join(__dirname, '..'), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: process.env },
  );
  let nextId = 1;
  const waiting = new Map<number, { resolve(reply: FleetReply): void; reject(error: Error): void }>();
  let exited: Error | null = null;
  child.on('message', (reply: FleetReply) => {
    const waiter = waiting.get(reply.id);
    waiting.delete(reply.id);
    waiter?.resolve(reply);
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`simulator fleet exited (${code ?? signal})`);
    for (const waiter of waiting.values()) waiter.reject(exited);
    waiting.clear();
  });
  /** The child's answer to `body`; a refusal, a timeout or the child's exit rejects. */
  const request = async (body: FleetOp, timeoutMs = REQUEST_TIMEOUT_MS): Promise<FleetAnswer> => {
    if (exited) throw exited;
    const id = nextId++;
    return new Promise<FleetAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`simulator fleet did not answer ${body.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          if (reply.ok) resolve(reply);
          else reject(new Error(`simulator fleet: ${reply.error}`));
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const message: FleetRequest = { ...body, id };
      child.send(message);
    });
  };
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const started = await request({ op: 'start', count, options }, START_TIMEOUT_MS);
    return {
      sims: started.sims ?? [],
      reset: async () => void (await request({ op: 'reset' })),
      restore: async () => void (await request({ op: 'restore' })),
      counts: async () => (await request({ op: 'counts' })).counts ?? [],
      stop: async () => {
        if (exited) return;
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        await request({ op: 'stop' }).catch(kill);
        const timer = setTimeout(kill, 10_000);
        await gone;
        clearTimeout(timer);
      },
    };
  } catch (error) {
    kill();
    throw error;
  }
}
