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

/** What SharedWorker needs of a worker thread (a Worker; a fake in unit tests). */
export interface EngineThread {
  on(event: 'message', listener: (response: EngineResponse) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  postMessage(request: EngineRequest): void;
  ref(): void;
  unref(): void;
}

function spawnEngineThread(): EngineThread {
  return new Worker(BOOTSTRAP, { eval: true, workerData: workerFile() });
}

/**
 * The process's one rule engine worker, started on first use and never stopped (idle, it does not keep
 * the process alive). Sharing it keeps its start-up (compiling from sources) to once per process, and a
 * thread that loaded SWC's native binding must not be torn down and loaded again: the process crashes.
 */
export class SharedWorker {
  private thread: EngineThread | null = null;
  private nextId = 1;
  /**
   * Each thread's own waiters. A failed thread emits 'error' and later 'exit'; a request sent in between goes to its
   * successor, and the late 'exit' must not reject that one.
   */
  private readonly waiting = new Map<EngineThread, Map<number, Waiter>>();
  /** Bumped each time a worker starts: a new worker holds no engine until it is loaded again. */
  starts = 0;

  constructor(private readonly spawn: () => EngineThread = spawnEngineThread) {}

  get running(): boolean {
    return this.thread !== null;
  }

  send(request: Omit<EngineRequest, 'id'>): Promise<unknown> {
    const thread = this.start();
    const waiters = this.waiting.get(thread)!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while an answer is awaited: an idle worker never keeps the process alive.
      if (waiters.size === 0) thread.ref();
      waiters.set(id, { resolve, reject });
      try {
        thread.postMessage({ ...request, id });
      } catch (error) {
        // Not sent (an argument that cannot be cloned): nothing will answer it.
        this.take(thread, id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Removes a waiter of `thread`; the thread stops holding the process once none is left. */
  private take(thread: EngineThread, id: number): Waiter | undefined {
    const waiters = this.waiting.get(thread);
    const waiter = waiters?.get(id);
    if (!waiters || !waiter) return undefined;
    waiters.delete(id);
    if (waiters.size === 0) thread.unref();
    return waiter;
  }

  private start(): EngineThread {
    if (this.thread) return this.thread;
    const thread = this.spawn();
    thread.unref();
    const waiters = new Map<number, Waiter>();
    this.waiting.set(thread, waiters);
    thread.on('message', (response: EngineResponse) => {
      const waiter = this.take(thread, response.id);
      if (!waiter) return;
      if (response.ok) waiter.resolve(response.value);
      else waiter.reject(Object.assign(new Error(response.error.message), { name: response.error.name }));
    });
    const fail = (error: Error): void => {
      if (this.thread === thread) this.thread = null;
      this.waiting.delete(thread);
      for (const waiter of waiters.values()) waiter.reject(error);
      waiters.clear();
      thread.unref();
    };
    thread.on('error', fail);
    thread.on('exit', (code: number) => fail(new Error(`rule engine worker exited with code ${code}`)));
    this.thread = thread;
    this.starts += 1;
    return thread;
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
