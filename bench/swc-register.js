// Compiles TypeScript on require with SWC, for bench child processes. Lighter than ts-node, which loads the
// whole TypeScript compiler into every process: the bench compares the resident memory of two servers, and a
// compiler in both would blur the ratio. Same transforms as the build (nest-cli.json) and vitest.
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
