#!/usr/bin/env node
// Checks the promise of the README on this machine: `npm start` answers /health within 30 s with
// an embedded database, and again after a restart with the same data. Used by .ci/run.
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const port = 3900 + Math.floor(Math.random() * 90);
const dataDir = mkdtempSync(path.join(tmpdir(), 'utm-smoke-'));
const base = `http://127.0.0.1:${port}`;
const token = `uto_smoke-${Math.random().toString(36).slice(2)}-admin-token`;
const auth = { authorization: `Bearer ${token}` };

function start() {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      LOG_LEVEL: 'warn',
      ADMIN_TOKEN: token,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

async function waitHealthy(limitMs) {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`/health did not answer 200 within ${limitMs} ms`);
}

function stop(child) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    child.kill('SIGTERM');
  });
}

async function main() {
  let child = start();
  try {
    const first = await waitHealthy(30_000);
    const created = await fetch(`${base}/api/v1/sites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ name: 'smoke-site' }),
    });
    if (created.status !== 201) throw new Error(`creating a site answered ${created.status}`);
    const exit = await stop(child);
    // Nest runs its shutdown hooks on SIGTERM and then re-raises the signal, so either outcome is clean.
    if (exit.code !== 0 && exit.signal !== 'SIGTERM')
      throw new Error(`shutdown ended with ${JSON.stringify(exit)}`);
    child = start();
    const second = await waitHealthy(30_000);
    const list = await (await fetch(`${base}/api/v1/sites?q=smoke`, { headers: auth })).json();
    if (list.total !== 1) throw new Error(`after restart the site list holds ${list.total} smoke sites`);
    console.log(
      `smoke: healthy after ${first} ms, again after restart in ${second} ms, data kept, clean shutdown`,
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`smoke failed: ${error.message}`);
  process.exit(1);
});
