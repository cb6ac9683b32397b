import { readFileSync } from 'node:fs';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import type { SqlExecutor } from '@app/persistence';

/** A normalised description of a schema: one string per fact, so two sides compare as sets. */
export interface SchemaFacts {
  tables: string[];
  columns: string[];
  uniques: string[];
  foreignKeys: string[];
  enums: string[];
}

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  isUnique: boolean;
  isId: boolean;
  type: string;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
  uniqueFields: string[][];
}

interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName?: string | null; values: { name: string; dbName?: string | null }[] }[];
  };
}

/** What `schema.prisma` says the database should look like. */
export function factsFromPrismaSchema(schemaText: string): SchemaFacts {
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schemaText }))) as Dmmf;
  const facts: SchemaFacts = { tables: [], columns: [], uniques: [], foreignKeys: [], enums: [] };
  const tableOf = new Map(dmmf.datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));
  for (const model of dmmf.datamodel.models) {
    const table = tableOf.get(model.name)!;
    const column = (fieldName: string): string => {
      const field = model.fields.find((f) => f.name === fieldName)!;
      return field.dbName ?? field.name;
    };
    facts.tables.push(table);
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (field.relationFromFields?.length) {
          const target = dmmf.datamodel.models.find((m) => m.name === field.type)!;
          const targetColumn = (name: string): string => {
            const f = target.fields.find((x) => x.name === name)!;
            return f.dbName ?? f.name;
          };
          const onDelete = (field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull'))
            .toUpperCase()
            .replace('SETNULL', 'SET NULL')
            .replace('NOACTION', 'NO ACTION')
            .replace('SETDEFAULT', 'SET DEFAULT');
          facts.foreignKeys.push(
            `${table}(${field.relationFromFields.map(column).join(',')}) -> ${tableOf.get(field.type)}(${(field.relationToFields ?? []).map(targetColumn).join(',')}) on delete ${onDelete}`,
          );
        }
        continue;
      }
      const nullable = field.isList || !field.isRequired;
      facts.columns.push(`${table}.${field.dbName ?? field.name} ${nullable ? 'NULL' : 'NOT NULL'}`);
      if (field.isUnique) facts.uniques.push(`${table}(${field.dbName ?? field.name})`);
      if (field.isId) facts.uniques.push(`${table}(${field.dbName ?? field.name}) primary`);
    }
    for (const fields of model.uniqueFields) facts.uniques.push(`${table}(${fields.map(column).join(',')})`);
    if (model.primaryKey)
      facts.uniques.push(`${table}(${model.primaryKey.fields.map(column).join(',')}) primary`);
  }
  for (const e of dmmf.datamodel.enums)
    facts.enums.push(`${e.dbName ?? e.name}: ${e.values.map((v) => v.dbName ?? v.name).join(',')}`);
  return sortFacts(facts);
}

export function factsFromPrismaSchemaFile(path: string): SchemaFacts {
  return factsFromPrismaSchema(readFileSync(path, 'utf8'));
}

/** What a migrated database actually holds (public schema, Prisma's own bookkeeping table excluded). */
export async function factsFromDatabase(sql: SqlExecutor): Promise<SchemaFacts> {
  const facts: SchemaFacts = { tables: [], columns: [], uniques: [], foreignKeys: [], enums: [] };
  const tables = await sql.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`,
  );
  facts.tables = tables.map((t) => t.table_name);
  const columns = await sql.query<{ table_name: string; column_name: string; is_nullable: string }>(
    `SELECT table_name, column_name, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
  );
  facts.columns = columns.map(
    (c) => `${c.table_name}.${c.column_name} ${c.is_nullable === 'YES' ? 'NULL' : 'NOT NULL'}`,
  );
  const uniques = await sql.query<{ table_name: string; columns: string; is_primary: boolean }>(
    `SELECT t.relname AS table_name, i.indisprimary AS is_primary,
            string_agg(a.attname, ',' ORDER BY k.ord) AS columns
     FROM pg_index i
     JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
     WHERE i.indisunique AND t.relname <> '_prisma_migrations'
     GROUP BY t.relname, i.indexrelid, i.indisprimary`,
  );
  facts.uniques = uniques.map((u) => `${u.table_name}(${u.columns})${u.is_primary ? ' primary' : ''}`);
  const fks = await sql.query<{
    table_name: string;
    columns: string;
    ref_table: string;
    ref_columns: string;
    on_delete: string;
  }>(
    `SELECT c.conrelid::regclass::text AS table_name, c.confrelid::regclass::text AS ref_table,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS ref_columns,
            CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                               WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_delete
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace AND n.nspname = 'public'
     WHERE c.contype = 'f'`,
  );
  facts.foreignKeys = fks.map(
    (f) =>
      `${f.table_name.replace(/"/g, '')}(${f.columns}) -> ${f.ref_table.replace(/"/g, '')}(${f.ref_columns}) on delete ${f.on_delete}`,
  );
  const enums = await sql.query<{ name: string; labels: string }>(
    `SELECT t.typname AS name, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
     JOIN pg_namespace n ON n.oid = t.typnamespace AND n.nspname = 'public'
     GROUP BY t.typname`,
  );
  facts.enums = enums.map((e) => `${e.name}: ${e.labels}`);
  return sortFacts(facts);
}

export interface SchemaDrift {
  onlyInSchema: Partial<SchemaFacts>;
  onlyInDatabase: Partial<SchemaFacts>;
}

export function diffFacts(schema: SchemaFacts, database: SchemaFacts): SchemaDrift {
  const drift: SchemaDrift = { onlyInSchema: {}, onlyInDatabase: {} };
  for (const key of Object.keys(schema) as (keyof SchemaFacts)[]) {
    const a = new Set(schema[key]);
    const b = new Set(database[key]);
    const onlyA = [...a].filter((x) => !b.has(x));
    const onlyB = [...b].filter((x) => !a.has(x));
    if (onlyA.length) drift.onlyInSchema[key] = onlyA;
    if (onlyB.length) drift.onlyInDatabase[key] = onlyB;
  }
  return drift;
}

function sortFacts(facts: SchemaFacts): SchemaFacts {
  return {
    tables: [...facts.tables].sort(),
    columns: [...facts.columns].sort(),
    uniques: [...facts.uniques].sort(),
    foreignKeys: [...facts.foreignKeys].sort(),
    enums: [...facts.enums].sort(),
  };
}
