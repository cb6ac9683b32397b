import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import request from 'supertest';
import type { TestApp } from '../utils/create-test-app';
import { toJson } from './arbitraries';
import {
  diffSnapshots,
  settledSnapshot,
  snapshotDatabase,
  snapshotStats,
  type DbSnapshot,
} from './db-snapshot';
import { KNOWN_FAILURES } from './known-failures';

/** Fixed in CI so every run sends the same requests; set FUZZ_SEED to reproduce or vary a run. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261203);
/** Generated requests per operation; `npm run fuzz` raises it (FUZZ_RUNS). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0) || undefined;
/** The CI budget runs in well under a minute; long runs (`npm run fuzz`) get an hour. */
export const FUZZ_TIMEOUT_MS = FUZZ_RUNS ? 3_600_000 : 300_000;
/** Requests compared against one database snapshot; a changed snapshot is bisected request by request. */
const BATCH_SIZE = 25;

export type Credential = 'admin' | 'readOnly' | 'none' | 'invalid';

export const credentialArb: fc.Arbitrary<Credential> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Credential>('admin') },
  { weight: 2, arbitrary: fc.constant<Credential>('readOnly') },
  { weight: 1, arbitrary: fc.constant<Credential>('none') },
  { weight: 1, arbitrary: fc.constant<Credential>('invalid') },
);

export type FuzzBody = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; contentType: string };

export interface FuzzRequest {
  surface: 'rest' | 'graphql';
  /** Route template ("POST /api/v1/sites/{id}") or GraphQL field ("mutation createSite"). */
  operation: string;
  /** What is wrong with it, e.g. "body.name=nul-byte": the failure class, without the concrete value. */
  label: string;
  credential: Credential;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: FuzzBody;
  /** A write (REST POST/PATCH/DELETE, GraphQL mutation): refused for read-only and anonymous callers. */
  mutating: boolean;
  /**
   * Malformed at the transport level (unparseable body, wrong content type) or breaking the input guard's limits
   * in the body or query string (see breaksInputLimits): rejected by middleware before authentication, so
   * 400/413/415 are fine answers whatever the credential.
   */
  preAuth: boolean;
}

export interface Outcome {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
}

export interface Violation {
  request: FuzzRequest;
  /** Which invariant broke. */
  rule: string;
  status: number;
  excerpt: string;
}

export interface SurfaceRules {
  /** Invariants broken by this answer (empty when fine). */
  check(req: FuzzRequest, out: Outcome): string[];
  /** The request was refused (REST 4xx, GraphQL errors without data): it must have changed nothing. */
  refused(req: FuzzRequest, out: Outcome): boolean;
}

export const INVALID_TOKEN = 'uto_fuzz-invalid-token-0000000000000000';

/**
 * Authorization headers that authenticate nobody: an unknown token, other schemes, an empty or huge
 * credential, a known token with junk appended. Picked per request from its content, so runs repeat.
 */
function invalidAuthorization(req: FuzzRequest, token: string | null): string {
  const variants = [
    `Bearer ${token ?? INVALID_TOKEN}`,
    'Bearer',
    'Bearer ',
    `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    `Bearer ${'x'.repeat(10_000)}`,
    `Bearer ${INVALID_TOKEN} extra`,
    'Token uto_fuzz',
    `Bearer ${INVALID_TOKEN.slice(0, 20)}`,
  ];
  const pick = createHash('sha256')
    .update(`${req.operation} ${req.label} ${req.url}`)
    .digest()
    .readUInt32BE(0);
  return variants[pick % variants.length];
}

/** A seed per operation, so adding an operation does not change the requests of the others. */
export function seedFor(operation: string): number {
  return FUZZ_SEED ^ createHash('sha256').update(operation).digest().readInt32BE(0);
}

/** `runs` requests for one operation, deterministic for (FUZZ_SEED, operation). */
export function sampleRequests(
  operation: string,
  arb: fc.Arbitrary<FuzzRequest>,
  runs: number,
): FuzzRequest[] {
  return fc.sample(arb, { seed: seedFor(operation), numRuns: FUZZ_RUNS ?? runs });
}

export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function describeRequest(req: FuzzRequest): string {
  const body =
    req.body === undefined
      ? ''
      : req.body.kind === 'json'
        ? ` body=${excerpt(toJson(req.body.value) ?? 'undefined', 160)}`
        : ` raw(${req.body.contentType})=${excerpt(JSON.stringify(req.body.text), 160)}`;
  const headers = Object.entries(req.headers)
    .map(([k, v]) => ` ${k}: ${excerpt(v, 40)}`)
    .join('');
  return `[${req.credential}] ${req.method} ${excerpt(req.url, 160)}${headers}${body}`;
}

export class FuzzRunner {
  readonly violations: Violation[] = [];
  sent = 0;
  batchesBisected = 0;
  runMs = 0;
  /** Every answer (status, operation, malformation), written to FUZZ_LOG when set. */
  readonly log: string[] = [];

  constructor(
    private readonly t: TestApp,
    private readonly tables: string[],
    private readonly tokens: Record<Credential, string | null>,
    private readonly rules: SurfaceRules,
  ) {}

  async send(req: FuzzRequest): Promise<Outcome> {
    this.sent += 1;
    const agent = request(this.t.app.getHttpServer());
    const method = req.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
    let r = agent[method](req.url).timeout(60_000);
    const token = this.tokens[req.credential];
    if (req.credential === 'invalid') r = r.set('Authorization', invalidAuthorization(req, token));
    else if (token) r = r.set('Authorization', `Bearer ${token}`);
    for (const [name, value] of Object.entries(req.headers)) r = r.set(name, value);
    if (req.body?.kind === 'json') {
      r = r.set('Content-Type', 'application/json').send(toJson(req.body.value));
    } else if (req.body?.kind === 'raw') {
      r = r.set('Content-Type', req.body.contentType).send(req.body.text);
    }
    try {
      const res = await r;
      return {
        status: res.status,
        contentType: String(res.headers['content-type'] ?? ''),
        body: res.body as unknown,
        text: res.text ?? '',
      };
    } catch (error) {
      // No HTTP answer at all (connection reset, timeout): reported as status 0.
      return { status: 0, contentType: '', body: undefined, text: String(error) };
    }
  }

  /** Sends every request, in batches compared against a database snapshot. */
  async run(requests: FuzzRequest[]): Promise<void> {
    const started = Date.now();
    for (let i = 0; i < requests.length; i += BATCH_SIZE) {
      await this.runBatch(requests.slice(i, i + BATCH_SIZE));
    }
    this.runMs += Date.now() - started;
  }

  private async runBatch(batch: FuzzRequest[]): Promise<void> {
    const before = await settledSnapshot(this.t, this.tables);
    const refused: FuzzRequest[] = [];
    let anyAccepted = false;
    for (const req of batch) {
      const started = Date.now();
      const out = await this.send(req);
      if (process.env.FUZZ_LOG) {
        this.log.push(
          `${out.status} ${Date.now() - started}ms ${req.operation} | ${req.label} | ${req.credential} | ` +
            ([...out.text.matchAll(/"code":"([A-Z_]+)"/g)].map((m) => m[1]).join(',') || 'ok'),
        );
      }
      this.record(req, out);
      if (this.rules.refused(req, out)) refused.push(req);
      else anyAccepted = true;
    }
    const after = await snapshotDatabase(this.t, this.tables);
    if (diffSnapshots(before, after).length === 0) return;
    await this.bisect(refused, anyAccepted, before, after);
  }

  /**
   * Replays the refused requests of a batch whose snapshot changed, halving the group while the replay still
   * changes the database, down to the single requests that write.
   */
  private async bisect(refused: FuzzRequest[], anyAccepted: boolean, before: DbSnapshot, after: DbSnapshot) {
    this.batchesBisected += 1;
    const found = refused.length > 0 ? await this.replay(refused) : 0;
    // Only successful requests may write; with none in the batch, a change nobody reproduces is still a failure.
    if (found === 0 && !anyAccepted && refused.length > 0) {
      this.violations.push({
        request: refused[0],
        rule: 'a batch of refused requests changed the database (not reproduced on replay)',
        status: 0,
        excerpt: diffSnapshots(before, after).join('; '),
      });
    }
  }

  /** Replays a group; returns how many of its requests were found writing while refused. */
  private async replay(group: FuzzRequest[]): Promise<number> {
    const start = await settledSnapshot(this.t, this.tables);
    const outs: Outcome[] = [];
    for (const req of group) outs.push(await this.send(req));
    const diff = diffSnapshots(start, await snapshotDatabase(this.t, this.tables));
    if (diff.length === 0) return 0;
    if (group.length === 1) {
      if (!this.rules.refused(group[0], outs[0])) return 0;
      this.violations.push({
        request: group[0],
        rule: 'refused request changed the database',
        status: outs[0].status,
        excerpt: `${diff.join('; ')} | ${excerpt(outs[0].text, 200)}`,
      });
      return 1;
    }
    const middle = Math.ceil(group.length / 2);
    return (await this.replay(group.slice(0, middle))) + (await this.replay(group.slice(middle)));
  }

  private record(req: FuzzRequest, out: Outcome): void {
    for (const rule of this.rules.check(req, out)) {
      this.violations.push({ request: req, rule, status: out.status, excerpt: excerpt(out.text) });
    }
  }
}

function codeOf(v: Violation): string {
  const match = /"code":"([A-Z_]+)"/.exec(v.excerpt);
  return match ? match[1] : '';
}

/** One line per distinct failure class: invariant, operation, malformation, status and code. */
export function classOf(v: Violation): string {
  return `${v.rule} | ${v.request.operation} | ${v.request.label} | ${v.request.credential} | ${v.status} ${codeOf(v)}`.trim();
}

/**
 * Groups violations into classes, prints them (known ones marked) with the seed, writes them as JSON when
 * FUZZ_REPORT names a file, and returns the classes that are not on the known-failure list.
 */
export function report(surface: FuzzRequest['surface'], runner: FuzzRunner): string[] {
  const entries = KNOWN_FAILURES.filter((k) => k.surface === surface);
  const classes = new Map<string, Violation>();
  for (const v of runner.violations) if (!classes.has(classOf(v))) classes.set(classOf(v), v);
  const unknown: string[] = [];
  const known: string[] = [];
  const usedEntries = new Set<string>();
  for (const [cls, v] of classes) {
    const entry = entries.find((k) => k.matches(v));
    const line = `${cls}\n      e.g. ${describeRequest(v.request)}\n      → ${v.excerpt}`;
    if (entry) {
      usedEntries.add(entry.id);
      known.push(`[known: ${entry.id}] ${line}`);
    } else {
      unknown.push(line);
    }
  }
  const lines = [
    `${surface} fuzz: seed ${FUZZ_SEED} (FUZZ_SEED=${FUZZ_SEED} to reproduce), ${runner.sent} requests in ${runner.runMs} ms, ` +
      `${runner.batchesBisected} batches bisected, ${snapshotStats.count} snapshots (${snapshotStats.ms} ms), ` +
      `${classes.size} failure classes (${known.length} known, ${unknown.length} new)`,
    `  ${surface} skip list (test/fuzz/known-failures.ts): ${entries.length === 0 ? 'empty' : ''}`,
    ...entries.map(
      (k) =>
        `    - ${k.id}${usedEntries.has(k.id) ? '' : ' (MATCHED NOTHING: fixed? remove the entry)'}: ${k.reason}`,
    ),
    ...known.map((l) => `  ${l}`),
    ...unknown.map((l) => `  [NEW] ${l}`),
  ];
  console.log(lines.join('\n'));
  if (process.env.FUZZ_LOG) writeFileSync(`${process.env.FUZZ_LOG}.${surface}.log`, runner.log.join('\n'));
  if (process.env.FUZZ_REPORT) {
    writeFileSync(
      `${process.env.FUZZ_REPORT}.${surface}.json`,
      JSON.stringify(
        [...classes].map(([cls, v]) => ({
          class: cls,
          known: entries.find((k) => k.matches(v))?.id ?? null,
          request: describeRequest(v.request),
          excerpt: v.excerpt,
        })),
        null,
        1,
      ),
    );
  }
  return unknown.map((l) => `${l}\n  (seed ${FUZZ_SEED})`);
}
