/** The simulator fleet's process (see `sim-fleet.ts`): starts the simulators and answers the parent over IPC. */
import { startSimulator, type StartedSimulator } from '@app/simulators';
import type { FleetReply, FleetRequest } from './sim-fleet';

const sims: StartedSimulator<'pfsense'>[] = [];

async function handle(request: FleetRequest): Promise<FleetReply> {
  switch (request.op) {
    case 'start':
      for (let i = 0; i < request.count; i++) {
        sims.push(
          await startSimulator('pfsense', {
            latencyMs: request.options.latencyMs,
            interfaces: request.options.interfaces,
          }),
        );
      }
      return {
        id: request.id,
        ok: true,
        sims: sims.map((s) => ({ url: s.url, credentials: s.credentials, tls: s.tls })),
      };
    case 'reset':
      for (const sim of sims) sim.calls.reset();
      return { id: request.id, ok: true };
    case 'restore':
      for (const sim of sims) sim.reset();
      return { id: request.id, ok: true };
    case 'counts':
      return {
        id: request.id,
        ok: true,
        counts: sims.map((s) => ({ calls: s.calls.count(), writes: s.calls.writes() })),
      };
    case 'stop':
      await Promise.all(sims.map((s) => s.stop()));
      return { id: request.id, ok: true };
  }
}

process.on('message', (request: FleetRequest) => {
  void handle(request)
    .catch((error: unknown): FleetReply => ({ id: request.id, ok: false, error: String(error) }))
    .then((reply) => {
      process.send?.(reply, () => {
        if (request.op === 'stop') process.exit(0);
      });
    });
});
// The parent going away (a crashed bench) takes the fleet with it.
process.on('disconnect', () => process.exit(0));
