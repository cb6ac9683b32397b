/**
 * Worker thread entry: computes rule sets off the service's event loop. Requests are answered in order;
 * between them, pending rule sets (devices a change invalidated and nobody asked for yet) are computed
 * one device at a time, so a request waits for at most one device's computation. One worker per process
 * holds one engine per service instance (tests start several apps in one process).
 */
import { parentPort } from 'node:worker_threads';
import type { EngineRequest, EngineResponse } from './protocol';
import { RuleEngine } from './rule-engine';

const port = parentPort;
if (!port) throw new Error('rule-engine.worker must run in a worker thread');

const engines = new Map<number, RuleEngine>();
let background: NodeJS.Immediate | null = null;

function scheduleBackground(): void {
  background ??= setImmediate(() => {
    background = null;
    let busy = false;
    for (const engine of engines.values()) busy = engine.backgroundStep() || busy;
    if (busy) scheduleBackground();
  });
}

port.on('message', (request: EngineRequest) => {
  let engine = engines.get(request.slot);
  if (!engine) engines.set(request.slot, (engine = new RuleEngine()));
  let response: EngineResponse;
  try {
    response = { id: request.id, ok: true, value: engine.call(request) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    response = { id: request.id, ok: false, error: { name: e.name, message: e.message } };
  }
  if (request.op === 'dispose') engines.delete(request.slot);
  port.postMessage(response);
  scheduleBackground();
});
