#!/usr/bin/env node
// Generates the engine-free Prisma client. The Prisma CLI wants a schema-engine binary on every
// command even though `generate` never runs it; pointing the variable at any existing file keeps
// the CLI from trying to download one (which fails on machines without internet access).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';

const cli = require.resolve('prisma/build/index.js', { paths: [path.join(__dirname, '..')] });
execFileSync(process.execPath, [cli, 'generate', '--schema', 'prisma/schema.prisma'], {
  cwd: path.join(__dirname, '..'),
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
