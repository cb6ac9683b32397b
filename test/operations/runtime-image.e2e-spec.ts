// The container image: which Node.js it runs and which packages it carries. Docker is not needed:
// the Dockerfile is read as text and npm's install decisions are recomputed from package-lock.json
// with the rule npm applies (@npmcli/arborist Node#shouldOmit), so a change to either file that puts
// the image back on an unsupported Node line or ships the Prisma CLI, Studio or TypeScript fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

const root = join(__dirname, '..', '..');

interface LockPackage {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  engines?: Record<string, string> | string[];
}

const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockPackage>;
};
const packages = lock.packages;

/** End of life of each Node.js LTS line (nodejs/Release schedule). */
const NODE_END_OF_LIFE: Record<number, string> = {
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
  26: '2029-04-30',
};

/** What must never reach the runtime image: build and development tools. */
const BUILD_ONLY =
  /^(prisma|typescript|@prisma\/(studio-core|engines|dev|config|fetch-engine|schema-engine.*))$/;

/** The one package --omit=optional drops that a runtime package declares: pg loads it only in Cloudflare Workers. */
const DROPPED_RUNTIME_OPTIONALS = ['pg-cloudflare'];

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** Node's lookup: the nearest node_modules/<name> walking up from the requiring package. */
function resolve(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const up = base.lastIndexOf('/node_modules/');
    base = up === -1 ? '' : base.slice(0, up);
  }
}

/** Packages the service cannot run without: reachable from package.json "dependencies" over required edges only. */
function requiredRuntimeClosure(): { paths: Set<string>; unresolved: string[] } {
  const paths = new Set<string>();
  const unresolved: string[] = [];
  const visit = (from: string, deps: Record<string, string>, optional: Set<string>) => {
    for (const name of Object.keys(deps)) {
      if (optional.has(name)) continue;
      const to = resolve(from, name);
      if (!to) {
        unresolved.push(`${from || '(root)'} -> ${name}`);
        continue;
      }
      if (paths.has(to)) continue;
      paths.add(to);
      const pkg = packages[to];
      const optionalPeers = new Set(
        Object.entries(pkg.peerDependenciesMeta ?? {})
          .filter(([, meta]) => meta.optional === true)
          .map(([peer]) => peer),
      );
      visit(to, { ...pkg.dependencies, ...pkg.peerDependencies }, optionalPeers);
    }
  };
  visit('', packages[''].dependencies ?? {}, new Set());
  return { paths, unresolved };
}

/** What `npm ci --omit=...` installs, by the flags npm recorded in the lockfile (same rule as Node#shouldOmit). */
function installedWith(omit: ReadonlySet<string>): Set<string> {
  const installed = new Set<string>();
  for (const [path, pkg] of Object.entries(packages)) {
    if (!path) continue;
    const omitted =
      (pkg.peer === true && omit.has('peer')) ||
      (pkg.dev === true && omit.has('dev')) ||
      (pkg.optional === true && omit.has('optional')) ||
      (pkg.devOptional === true && omit.has('optional') && omit.has('dev'));
    if (!omitted) installed.add(path);
  }
  return installed;
}

interface Stage {
  image: string;
  name?: string;
  instructions: string[];
}

function dockerStages(): Stage[] {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\r?\n/g, ' ');
  const stages: Stage[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ image: from[1], name: from[2], instructions: [] });
    else stages.at(-1)?.instructions.push(line.replace(/\s+/g, ' '));
  }
  return stages;
}

/** The npm ci command of the stage whose node_modules the final (runtime) stage copies. */
function runtimeInstall(stages: Stage[]): { stage: string; command: string; omit: Set<string> } {
  const runtime = stages.at(-1);
  const copy = runtime?.instructions
    .map((i) => /^COPY .*--from=(\S+) \S*node_modules\b/.exec(i))
    .find((m) => m !== null);
  expect(copy, 'the runtime stage copies node_modules from an install stage').toBeTruthy();
  const source = stages.find((s) => s.name === copy![1]);
  const command = source?.instructions.find((i) => /^RUN .*\bnpm ci\b/.test(i));
  expect(command, `stage ${copy![1]} installs with npm ci`).toBeTruthy();
  const omit = new Set([...command!.matchAll(/--omit[= ](\w+)/g)].map((m) => m[1]));
  return { stage: copy![1], command: command!, omit };
}

function nodeMajors(stages: Stage[]): number[] {
  return stages.map((s) => {
    const m = /^node:(\d+)(?:[.-]|$)/.exec(s.image);
    expect(m, `stage ${s.name ?? s.image} is built FROM an official node:<major>-... image`).not.toBeNull();
    return Number(m![1]);
  });
}

describe('runtime image (Dockerfile + package-lock.json)', () => {
  const stages = dockerStages();

  it('builds and runs every stage on one Node.js LTS line that is not past its end of life', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const majors = nodeMajors(stages);
    expect(new Set(majors).size, `one Node major in every stage, found ${majors.join(', ')}`).toBe(1);
    const eol = NODE_END_OF_LIFE[majors[0]];
    expect(eol, `Node ${majors[0]} is not a known LTS line: add its end-of-life date`).toBeDefined();
    expect(
      new Date().toISOString().slice(0, 10) < eol,
      `Node ${majors[0]} reached end of life on ${eol}: move the image to the current Active LTS`,
    ).toBe(true);
  });

  it("satisfies every installed package's engines.node with the image's Node major", () => {
    const version = `${nodeMajors(stages)[0]}.0.0`;
    const rejecting = Object.entries(packages)
      .filter(([path, pkg]) => path && !Array.isArray(pkg.engines) && pkg.engines?.node)
      .filter(([, pkg]) => !semver.satisfies(version, (pkg.engines as Record<string, string>).node))
      .map(
        ([path, pkg]) =>
          `${nameOf(path)}@${pkg.version} wants node ${(pkg.engines as Record<string, string>).node}`,
      );
    expect(rejecting, `packages that do not support Node ${version}`).toEqual([]);
  });

  it('installs runtime dependencies without the Prisma CLI, Prisma Studio or TypeScript', () => {
    const { command, omit } = runtimeInstall(stages);
    expect(command).toContain('--ignore-scripts');
    const shipped = [...installedWith(omit)].map(nameOf).filter((name) => BUILD_ONLY.test(name));
    expect(shipped, `"${command}" would put build-only packages into the image`).toEqual([]);
  });

  it('still installs everything the service needs at run time', () => {
    const { omit } = runtimeInstall(stages);
    const { paths: required, unresolved } = requiredRuntimeClosure();
    expect(unresolved, 'package-lock.json resolves every required dependency').toEqual([]);
    expect(required.size).toBeGreaterThan(100);
    const installed = installedWith(omit);
    expect([...required].filter((path) => !installed.has(path))).toEqual([]);
    // Every optional package of the runtime tree that the flags leave out has been reviewed: a new
    // platform binary or plugin that the service does load would otherwise vanish from the image.
    const dropped = [...installedWith(new Set(['dev']))].filter(
      (path) => !installed.has(path) && packages[path].devOptional !== true,
    );
    expect(dropped.map(nameOf).sort()).toEqual(DROPPED_RUNTIME_OPTIONALS);
  });

  it('keeps build tools out of the hard runtime dependencies themselves', () => {
    const leaked = [...requiredRuntimeClosure().paths].map(nameOf).filter((name) => BUILD_ONLY.test(name));
    expect(leaked, 'a package in "dependencies" requires a build tool; move it to devDependencies').toEqual(
      [],
    );
  });

  it('keeps secrets and host-built artefacts out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.env', '.env.*', 'data', 'node_modules', 'dist']));
  });

  it('runs the service as an unprivileged user', () => {
    const users = stages.at(-1)!.instructions.filter((i) => i.startsWith('USER '));
    expect(users.at(-1)).toMatch(/^USER (?!root\b|0\b)\S+$/);
  });
});
