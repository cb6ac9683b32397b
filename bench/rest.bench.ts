/**
 * REST request path: throughput of an authenticated item read (`GET /api/v1/sites/{id}` with a read token) and of
 * `/health` on the real service, against a bare Nest app with one route (`GET /bare`, a body of the same shape),
 * each server in its own child process of this run. A closed-loop load of CONNECTIONS keep-alive connections for
 * ROUND_MS per figure, the three figures interleaved over ROUNDS rounds; medians, with the server's CPU time per
 * request. Also prints the resident memory of both processes at idle (after start and a full GC). Target: the item read
 * at ≥ 50 % of the bare route's throughput.
 *
 * PGlite by default; on PostgreSQL when BENCH_DATABASE_URL is set.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ADMIN_TOKEN, BenchContext, formatTable, median } from './bench-util';
import { runLoad } from './http-load';
import type { ServerMessage } from './rest-server';

const CONNECTIONS = Number(process.env.BENCH_REST_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_REST_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_REST_ROUND_MS ?? 2_000);
const WARMUP_MS = 1_500;
const TARGET = 0.5;

interface Server {
  child: ChildProcess;
  port: number;
  idleRss: number;
  stop(): Promise<void>;
}

const root = join(__dirname, '..');

function startServer(mode: 'app' | 'bare'): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '-r',
      'tsconfig-paths/register',
      '-r',
      './scripts/swc-register.js',
      'bench/rest-server.ts',
      mode,
    ],
    // The service's request log goes nowhere: the bench measures writing it, not reading it.
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, TS_NODE_PROJECT: '' } },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${mode} server did not start within 120 s: ${stderr}`));
    }, 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${mode} server exited with ${code}: ${stderr}`));
    });
    child.on('message', (message: ServerMessage) => {
      if (message.kind !== 'listening') return;
      clearTimeout(timer);
      resolve({ child, port: message.port, idleRss: message.idleRss, stop });
    });
  });
}

async function api<T>(port: number, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${BENCH_ADMIN_TOKEN}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** CPU time (user + system) a process has used, in ms; null where /proc is not available. */
function cpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;

export async function restBench(ctx: BenchContext): Promise<boolean> {
  const backend = process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'PGlite';
  const [app, bare] = await Promise.all([startServer('app'), startServer('bare')]);
  try {
    const site = await api<{ id: string }>(app.port, 'POST', '/sites', { name: `bench-site-${Date.now()}` });
    const { token } = await api<{ token: string }>(app.port, 'POST', '/tokens', {
      name: `bench-reader-${Date.now()}`,
      scopes: ['read'],
    });
    const targets: { label: string; port: number; path: string; headers: Record<string, string> }[] = [
      {
        label: `GET /api/v1/sites/{id} (${backend}, read token)`,
        port: app.port,
        path: `/api/v1/sites/${site.id}`,
        headers: { authorization: `Bearer ${token}` },
      },
      { label: `GET /health (${backend})`, port: app.port, path: '/health', headers: {} },
      { label: 'GET /bare (bare Nest app)', port: bare.port, path: '/bare', headers: {} },
    ];
    for (const target of targets)
      await runLoad({ ...target, connections: CONNECTIONS, durationMs: WARMUP_MS });
    const servers = [app, app, bare];
    const rates: number[][] = targets.map(() => []);
    const cpuPerRequest: number[][] = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotated so no figure always runs right after the same neighbour.
      for (let k = 0; k < targets.length; k++) {
        const i = (round + k) % targets.length;
        const cpuBefore = cpuMs(servers[i].child.pid);
        const result = await runLoad({ ...targets[i], connections: CONNECTIONS, durationMs: ROUND_MS });
        const cpuAfter = cpuMs(servers[i].child.pid);
        if (cpuBefore !== null && cpuAfter !== null) {
          cpuPerRequest[i].push(((cpuAfter - cpuBefore) * 1000) / result.requests);
        }
        if (result.errors > 0) {
          throw new Error(`${targets[i].label}: ${result.errors} of ${result.requests} answers were not 200`);
        }
        rates[i].push(result.perSecond);
      }
    }
    const bareRate = median(rates[2]);
    const cpu = (i: number): string =>
      cpuPerRequest[i].length ? `${median(cpuPerRequest[i]).toFixed(0)} µs` : 'n/a';
    const rows = targets.map((target, i) => [
      target.label,
      median(rates[i]).toFixed(0),
      pct(median(rates[i]) / bareRate),
      cpu(i),
      rates[i].map((r) => r.toFixed(0)).join(' '),
    ]);
    ctx.print(
      `${CONNECTIONS} keep-alive connections, ${ROUNDS} interleaved rounds of ${ROUND_MS / 1000} s, medians`,
    );
    // Server CPU per request (10 ms resolution, so read it over a whole round) holds up better than req/s on a busy
    // machine, where the servers get whatever share of the cores is left.
    ctx.print(
      formatTable(['request', 'req/s', 'vs bare route', 'server CPU/request', 'req/s by round'], rows),
    );
    const itemRatio = median(rates[0]) / bareRate;
    ctx.print(
      `idle RSS: service ${mb(app.idleRss)}, bare Nest app ${mb(bare.idleRss)} (${(app.idleRss / bare.idleRss).toFixed(1)}×)`,
    );
    const met = itemRatio >= TARGET;
    ctx.print(
      `target: item read ≥ ${pct(TARGET)} of the bare route: ${pct(itemRatio)} — ${met ? 'met' : 'MISSED'}`,
    );
    return met;
  } finally {
    await Promise.all([app.stop(), bare.stop()]);
  }
}
