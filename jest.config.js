/** @type {import('jest').Config} */
const moduleNameMapper = {
  '^@app/(catalog|engine|connectors|persistence)(|/.*)$': '<rootDir>/libs/$1/src$2',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', isolatedModules: true }],
};
const common = { moduleFileExtensions: ['js', 'json', 'ts'], moduleNameMapper, transform, testEnvironment: 'node' };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/apps', '<rootDir>/libs'], testRegex: '.*\\.spec\\.ts$' },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test'], testRegex: '.*\\.e2e-spec\\.ts$', testTimeout: 60000 },
  ],
};
