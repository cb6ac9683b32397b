import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EngineCalls, EngineOp, EngineRequest, EngineResponse } from './protocol';

/**
 * Loads the worker entry from the compiled build (`.js`) or, when the service itself runs from sources
 * (vitest, ts-node: `npm run bench`, `npm run demo`), from the `.ts` source through ts-node (SWC
 * transpiler) and the tsconfig path aliases. A worker does not inherit the parent's module hooks.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.file.endsWith('.ts')) {
  const path = require('node:path');
  const project = path.join(workerData.root, 'tsconfig.json');
  require('ts-node').register({ project, transpileOnly: true, swc: true });
  const tsconfigPaths = require('tsconfig-paths');
  const config = tsconfigPaths.loadConfig(workerData.root);
  tsconfigPaths.register({ baseUrl: config.absoluteBaseUrl, paths: config.paths });
}
require(workerData.file);
`;

/** Where the repository root is, seen from this file (sources: apps/api/src/rules/engine). */
function workerFile(): { file: string; root: string } {
  const ts = join(__dirname, 'rule-engine.worker.ts');
  const js = join(__dirname, 'rule-engine.worker.js');
  const file = __filename.endsWith('.ts') && existsSync(ts) ? ts : js;
  let root = __dirname;
  while (!existsSync(join(root, 'tsconfig.json')) && dirname(root) !== root) root = dirname(root);
  return { file, root };
}

/** Runs the rule engine in a worker thread and calls it like a local object (answers in request order). */
export class RuleEngineHost {
  private worker: Worker | null = null;
  private nextId = 1;
  private starts = 0;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  call<K extends EngineOp>(op: K, args: Parameters<EngineCalls[K]>[0]): Promise<ReturnType<EngineCalls[K]>> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const request: EngineRequest<K> = { id, op, args };
      worker.postMessage(request);
    });
  }

  /** False until the first call and after the worker stopped or died. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Bumped each time a worker starts: a new worker holds nothing until it is loaded again. */
  get generation(): number {
    return this.starts;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { file, root } = workerFile();
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { file, root } });
    // Never keeps the process alive on its own; pending calls still hold their callers.
    worker.unref();
    worker.on('message', (response: EngineResponse) => {
      const entry = this.waiting.get(response.id);
      if (!entry) return;
      this.waiting.delete(response.id);
      if (response.ok) entry.resolve(response.value);
      else entry.reject(Object.assign(new Error(response.error.message), { name: response.error.name }));
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = null;
      for (const entry of this.waiting.values()) entry.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`rule engine worker exited with code ${code}`)));
    this.worker = worker;
    this.starts += 1;
    return worker;
  }
}
