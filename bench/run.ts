/**
 * `npm run bench [section ...]`: runs the named sections (all when none is named) one after the other.
 * Add a section by writing `bench/<name>.bench.ts` exporting a {@link BenchSection} and listing it below.
 * Exits with code 1 when a section reports a missed target. With BENCH_DATABASE_URL, each section runs on a database
 * of its own, created on that server for it and dropped after it: sections seed fixed names (a site "Hub", a first
 * admin token) that would collide in one shared database.
 */
import { provisionDatabase } from '../test/utils/test-database';
import { BenchContext, BenchSection, loadGc } from './bench-util';
import { engineBench } from './engine.bench';
import { graphqlBench } from './graphql.bench';
import { incrementalBench } from './incremental.bench';
import { pushBench } from './push.bench';
import { restBench } from './rest.bench';

const SECTIONS: Record<string, BenchSection> = {
  engine: engineBench,
  incremental: incrementalBench,
  graphql: graphqlBench,
  push: pushBench,
  rest: restBench,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) {
    throw new Error(
      `unknown bench section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`,
    );
  }
  const server = process.env.BENCH_DATABASE_URL || undefined;
  const ctx: BenchContext = { gc: loadGc(), print: (text) => console.log(text) };
  let ok = true;
  for (const [name, section] of Object.entries(SECTIONS)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    console.log(`\n== ${name}`);
    // Only with BENCH_DATABASE_URL: provisionDatabase would otherwise fall back to the tests' DATABASE_URL.
    const database = server ? await provisionDatabase(server, 'utm_bench') : undefined;
    if (database?.url) process.env.BENCH_DATABASE_URL = database.url;
    try {
      ok = (await section(ctx)) && ok;
    } finally {
      await database?.drop();
    }
  }
  if (!ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
