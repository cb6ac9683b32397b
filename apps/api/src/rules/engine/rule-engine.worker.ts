/**
 * Worker thread entry: computes rule sets off the service's event loop. Requests are answered in order;
 * between them, pending rule sets (devices a change invalidated and nobody asked for yet) are computed
 * one device at a time, so a request waits for at most one device's computation.
 */
import { parentPort } from 'node:worker_threads';
import type { EngineRequest, EngineResponse } from './protocol';
import { RuleEngine } from './rule-engine';

const port = parentPort;
if (!port) throw new Error('rule-engine.worker must run in a worker thread');

const engine = new RuleEngine();
let background: NodeJS.Immediate | null = null;

function scheduleBackground(): void {
  background ??= setImmediate(() => {
    background = null;
    if (engine.backgroundStep()) scheduleBackground();
  });
}

port.on('message', (request: EngineRequest) => {
  let response: EngineResponse;
  try {
    response = { id: request.id, ok: true, value: engine.call(request) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    response = { id: request.id, ok: false, error: { name: e.name, message: e.message } };
  }
  port.postMessage(response);
  scheduleBackground();
});
