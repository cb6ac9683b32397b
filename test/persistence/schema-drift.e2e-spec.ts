import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, openDatabase } from '@app/persistence';
import { provisionDatabase, type TestDatabase } from '../utils/test-database';
import { diffFacts, factsFromDatabase, factsFromPrismaSchema, type SchemaFacts } from './schema-diff';

const root = join(__dirname, '..', '..');
const schemaText = readFileSync(join(root, 'prisma', 'schema.prisma'), 'utf8');

describe('schema.prisma versus the SQL migrations', () => {
  let target: TestDatabase;
  let db: Database;
  let database: SchemaFacts;

  beforeAll(async () => {
    target = await provisionDatabase();
    db = await openDatabase({ url: target.url, migrationsDir: join(root, 'prisma', 'migrations') });
    database = await factsFromDatabase(db.sql);
  });
  afterAll(async () => {
    await db.close();
    await target.drop();
  });

  it('agree on every table, column, nullability, unique constraint, foreign key and enum', () => {
    const schema = factsFromPrismaSchema(schemaText);
    expect(schema.tables.length).toBeGreaterThanOrEqual(7);
    expect(schema.foreignKeys.length).toBeGreaterThanOrEqual(7);
    expect(diffFacts(schema, database)).toEqual({ onlyInSchema: {}, onlyInDatabase: {} });
  });

  it.each([
    [
      'a column missing from the migrations',
      (s: string) =>
        s.replace(
          '  enabled              Boolean',
          '  paused Boolean @default(false)\n  enabled              Boolean',
        ),
      'columns',
    ],
    [
      'a nullability change',
      (s: string) => s.replace('vdom                 String?', 'vdom                 String'),
      'columns',
    ],
    [
      'a unique constraint',
      (s: string) =>
        s.replace(
          'managementUrl        String   @map("management_url")',
          'managementUrl        String   @unique @map("management_url")',
        ),
      'uniques',
    ],
    [
      'a foreign key action',
      (s: string) =>
        s.replace(
          'onDelete: Restrict)\n  interfaces InterfaceZone[]',
          'onDelete: Cascade)\n  interfaces InterfaceZone[]',
        ),
      'foreignKeys',
    ],
    ['a model', (s: string) => `${s}\nmodel Extra {\n  id Int @id\n}\n`, 'tables'],
  ] as const)('detects %s', (_name, mutate, key) => {
    const mutated = mutate(schemaText);
    expect(mutated).not.toBe(schemaText);
    const drift = diffFacts(factsFromPrismaSchema(mutated), database);
    expect(drift.onlyInSchema[key]?.length ?? 0).toBeGreaterThan(0);
  });
});
