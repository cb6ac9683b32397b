import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const alias = Object.fromEntries(
  ['catalog', 'engine', 'connectors', 'persistence'].map((lib) => [
    `@app/${lib}`,
    resolve(__dirname, `libs/${lib}/src`),
  ]),
);

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
