// Dependency install scripts run arbitrary code on every developer machine, in CI and in the image
// build. package.json "allowScripts" (npm >= 11.16; npm 12 blocks whatever it does not allow) records
// the review of each one; this test fails when a dependency brings a script nobody has reviewed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
};

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/**
 * The package a policy key names. Keys are name-only on purpose: npm verifies a pinned key
 * (name@version) against the lockfile's "resolved" URL, which this project's lockfile does not record.
 */
function keyName(key: string): string {
  return key.startsWith('@') ? `@${key.slice(1).split('@')[0]}` : key.split('@')[0];
}

describe('install scripts of dependencies', () => {
  const policy = manifest.allowScripts ?? {};
  const withScripts = [
    ...new Set(
      Object.entries(lock.packages)
        .filter(([path, pkg]) => path && pkg.hasInstallScript === true)
        .map(([path]) => nameOf(path)),
    ),
  ].sort();

  it('has every one reviewed in package.json allowScripts', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    const reviewed = new Set(Object.keys(policy).map(keyName));
    expect(withScripts.filter((name) => !reviewed.has(name))).toEqual([]);
  });

  it('keeps no entry for a package that no longer has an install script', () => {
    expect(
      Object.keys(policy)
        .map(keyName)
        .filter((name) => !withScripts.includes(name)),
    ).toEqual([]);
  });

  it('denies the install-time telemetry of @scarf/scarf (a dependency of swagger-ui-dist)', () => {
    expect(withScripts).toContain('@scarf/scarf');
    expect(policy['@scarf/scarf']).toBe(false);
  });
});
