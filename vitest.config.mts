import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

const alias = [
  ...['catalog', 'engine', 'connectors', 'simulators', 'persistence'].map((lib) => ({
    find: `@app/${lib}`,
    replacement: resolve(import.meta.dirname, `libs/${lib}/src`),
  })),
  // graphql ships CommonJS and ESM builds; Nest loads the CommonJS one, so our code must too, or
  // schema objects from one copy fail the other's instanceof checks.
  { find: /^graphql$/, replacement: require.resolve('graphql') },
];

// SWC instead of esbuild: NestJS dependency injection needs emitted decorator metadata.
const plugins = [
  swc.vite({
    module: { type: 'es6' },
    jsc: { target: 'es2022', transform: { legacyDecorator: true, decoratorMetadata: true } },
  }),
];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    globals: true,
    pool: 'forks',
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          globals: true,
          include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts'],
          testTimeout: 60_000,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'e2e',
          globals: true,
          include: ['test/**/*.e2e-spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
