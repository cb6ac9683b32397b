// Compiles TypeScript on require with SWC, for code run from sources outside vitest: the rule engine worker thread
// (rule-engine-host.ts) and the bench's child processes. Lighter than ts-node, which loads the whole TypeScript
// compiler into every process or thread that uses it (measured for the engine worker: 108 MB and 180-300 ms to its
// first answer under ts-node, 52 MB and 60-70 ms with this). Same transforms as the build (nest-cli.json) and vitest.
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

const options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    target: 'es2022',
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  // No inline source maps: V8 keeps each module's source text, so they would inflate the memory being compared.
  sourceMaps: false,
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
