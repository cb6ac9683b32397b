import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { ConnectorError } from './errors';
import type { TlsOptions } from './target';

/** `AB:CD:...` upper-case form; accepts any case, with or without colons/spaces. */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/^sha256[:=]?/i, '').replace(/[^0-9a-fA-F]/g, '');
  if (hex.length !== 64) {
    throw new ConnectorError({
      kind: 'validation',
      message: 'fingerprintSha256 must be 32 bytes of hex (SHA-256)',
    });
  }
  return hex.toUpperCase().match(/../g)!.join(':');
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

function connectTimeoutError(ms: number): Error {
  return Object.assign(new Error(`connect timeout after ${ms} ms`), { code: 'ERR_CONNECTOR_TIMEOUT' });
}

/**
 * Hands the socket to the agent's callback once `readyEvent` fired and `check` found nothing wrong, or fails it when
 * the socket errors or `connectMs` passes first. The callback runs exactly once.
 */
function settleConnection(
  socket: net.Socket,
  readyEvent: 'connect' | 'secureConnect',
  connectMs: number,
  callback: ConnectCallback | undefined,
  check: () => Error | null = () => null,
): void {
  let done = false;
  const finish = (err: Error | null): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.removeListener('error', finish);
    if (err) socket.destroy();
    callback?.(err, socket);
  };
  const timer = setTimeout(() => finish(connectTimeoutError(connectMs)), connectMs);
  socket.once('error', finish);
  socket.once(readyEvent, () => finish(check()));
}

/**
 * https.Agent that hands a socket to the request only after the handshake succeeded AND the optional pinned
 * fingerprint matched, so credentials are never written to an unverified peer. Also enforces a connect timeout.
 */
class VerifyingHttpsAgent extends https.Agent {
  constructor(
    options: https.AgentOptions,
    private readonly pin: string | null,
    private readonly connectMs: number,
  ) {
    super(options);
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: ConnectCallback,
  ): Duplex | null | undefined {
    const socket = tls.connect(options as tls.ConnectionOptions);
    settleConnection(socket, 'secureConnect', this.connectMs, callback, () => {
      if (this.pin === null) return null;
      const cert = socket.getPeerCertificate();
      const actual = cert && typeof cert.fingerprint256 === 'string' ? cert.fingerprint256.toUpperCase() : '';
      if (actual === this.pin) return null;
      return Object.assign(
        new Error(`certificate fingerprint ${actual || '(none)'} does not match the pinned fingerprint`),
        { code: 'ERR_TLS_FINGERPRINT_MISMATCH' },
      );
    });
    return undefined;
  }
}

class TimedHttpAgent extends http.Agent {
  constructor(
    options: http.AgentOptions,
    private readonly connectMs: number,
  ) {
    super(options);
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: ConnectCallback,
  ): Duplex | null | undefined {
    const socket = net.connect(options as net.NetConnectOpts);
    settleConnection(socket, 'connect', this.connectMs, callback);
    return undefined;
  }
}

/**
 * Builds the agent for one device according to its TLS options:
 * - default: system CAs + host name check;
 * - `caBundle`: only that bundle + host name check (plus the pin when given);
 * - `fingerprintSha256` alone: the pin replaces chain verification;
 * - `insecure` (or `verify: false`): anything is accepted.
 */
export function createAgent(url: URL, options: TlsOptions, connectMs: number): http.Agent {
  const common = { keepAlive: true, maxSockets: 4, keepAliveMsecs: 1_000 };
  if (url.protocol === 'http:') return new TimedHttpAgent(common, connectMs);
  const insecure = options.insecure === true || options.verify === false;
  const pin = !insecure && options.fingerprintSha256 ? normalizeFingerprint(options.fingerprintSha256) : null;
  const pinOnly = pin !== null && !options.caBundle;
  const agentOptions: https.AgentOptions = {
    ...common,
    // Resumed sessions would skip the per-connection pin check; never resume.
    maxCachedSessions: 0,
    rejectUnauthorized: !(insecure || pinOnly),
  };
  if (options.caBundle && !insecure) agentOptions.ca = options.caBundle;
  return new VerifyingHttpsAgent(agentOptions, pin, connectMs);
}
