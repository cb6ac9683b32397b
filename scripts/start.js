#!/usr/bin/env node
// `npm start`: builds the service when the compiled output is missing or older than the sources,
// then runs it in this process (so signals reach Nest's shutdown hooks directly).
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
// `node scripts/start.js [entry]`: the service by default, or another compiled entry (e.g. cli/rotate-secret-key).
const entry = process.argv[2] ?? 'main';
const main = path.join(root, 'dist', 'apps', 'api', 'apps', 'api', 'src', `${entry}.js`);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.prisma'))
      newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

const sources = Math.max(...['apps', 'libs', 'prisma'].map((d) => newestMtime(path.join(root, d))));
if (!existsSync(main) || statSync(main).mtimeMs < sources) {
  process.stderr.write('building the service (first start or sources changed)…\n');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'prisma-generate.js')], {
    cwd: root,
    stdio: 'inherit',
  });
  execFileSync(
    process.execPath,
    [require.resolve('@nestjs/cli/bin/nest.js', { paths: [root] }), 'build', 'api'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
process.chdir(root);
require(main);
