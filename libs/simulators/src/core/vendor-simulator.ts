import type { FaultController } from './faults';
import {
  SimulatorServer,
  type CallLog,
  type SimRequest,
  type SimResponse,
  type SimulatorServerOptions,
} from './server';

/** Where and how a simulator listens; every vendor simulator accepts these besides its own options. */
export interface SimulatorListenOptions {
  /** `true` = HTTPS with the committed test certificate (CN/SAN 127.0.0.1); or your own key/cert PEMs. */
  https?: boolean | { key: string; cert: string };
  host?: string;
  /** 0 (default) = ephemeral port. */
  port?: number;
  /** Added to every request. */
  latencyMs?: number;
  /** Upper bound for `hang` faults. */
  maxHangMs?: number;
}

/** The HTTP server, faults and call counters every vendor simulator exposes to tests and scripts. */
export abstract class VendorSimulator {
  readonly server: SimulatorServer;

  protected constructor(
    listen: SimulatorListenOptions,
    faultResponse: SimulatorServerOptions['faultResponse'],
  ) {
    this.server = new SimulatorServer({
      handler: (req) => this.handle(req),
      https: listen.https,
      host: listen.host,
      port: listen.port,
      latencyMs: listen.latencyMs,
      maxHangMs: listen.maxHangMs,
      faultResponse,
    });
  }

  abstract handle(req: SimRequest): Promise<SimResponse>;

  get url(): string {
    return this.server.url;
  }

  get faults(): FaultController {
    return this.server.faults;
  }

  get calls(): CallLog {
    return this.server.calls;
  }

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
