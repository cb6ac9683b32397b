import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EngineCalls, EngineOp, EngineRequest, EngineResponse } from './protocol';

/**
 * Loads the worker entry from the compiled build (`.js`) or, when the service itself runs from sources
 * (vitest, ts-node: `npm run bench`, `npm run demo`), from the `.ts` source through the checkout's SWC hook
 * (scripts/swc-register.js) and the tsconfig path aliases: a worker does not inherit the parent's module hooks.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.file.endsWith('.ts')) {
  const path = require('node:path');
  require(path.join(workerData.root, 'scripts', 'swc-register.js'));
  const tsconfigPaths = require('tsconfig-paths');
  const config = tsconfigPaths.loadConfig(workerData.root);
  tsconfigPaths.register({ baseUrl: config.absoluteBaseUrl, paths: config.paths });
}
require(workerData.file);
`;

function workerFile(): { file: string; root: string } {
  const ts = join(__dirname, 'rule-engine.worker.ts');
  const file = __filename.endsWith('.ts') && existsSync(ts) ? ts : join(__dirname, 'rule-engine.worker.js');
  let root = __dirname;
  while (!existsSync(join(root, 'tsconfig.json')) && dirname(root) !== root) root = dirname(root);
  return { file, root };
}

type Waiter = { resolve(value: unknown): void; reject(error: Error): void };

/**
 * The process's one rule engine worker, started on first use and never stopped (idle, it does not keep
 * the process alive). Sharing it keeps its start-up (compiling from sources) to once per process, and a
 * thread that loaded SWC's native binding must not be torn down and loaded again: the process crashes.
 */
class SharedWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  /** Bumped each time a worker starts: a new worker holds no engine until it is loaded again. */
  starts = 0;

  get running(): boolean {
    return this.worker !== null;
  }

  send(request: Omit<EngineRequest, 'id'>): Promise<unknown> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while an answer is awaited: an idle worker never keeps the process alive.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { file, root } = workerFile();
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { file, root } });
    worker.unref();
    worker.on('message', (response: EngineResponse) => {
      const waiter = this.waiting.get(response.id);
      if (!waiter) return;
      this.waiting.delete(response.id);
      if (this.waiting.size === 0) worker.unref();
      if (response.ok) waiter.resolve(response.value);
      else waiter.reject(Object.assign(new Error(response.error.message), { name: response.error.name }));
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = null;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`rule engine worker exited with code ${code}`)));
    this.worker = worker;
    this.starts += 1;
    return worker;
  }
}

const shared = new SharedWorker();
let slots = 0;

/** One engine in the shared worker thread, called like a local object (answers in request order). */
export class RuleEngineHost {
  private readonly slot = ++slots;

  call<K extends EngineOp>(op: K, args: Parameters<EngineCalls[K]>[0]): Promise<ReturnType<EngineCalls[K]>> {
    return shared.send({ slot: this.slot, op, args }) as Promise<ReturnType<EngineCalls[K]>>;
  }

  /** False before the first call and after the worker died (its engines are gone). */
  get running(): boolean {
    return shared.running;
  }

  /** Identifies the worker: when it changes, the engine must be loaded again. */
  get generation(): number {
    return shared.starts;
  }

  async stop(): Promise<void> {
    if (shared.running) await this.call('dispose', {});
  }
}
