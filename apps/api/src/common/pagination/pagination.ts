import { Type as NestType } from '@nestjs/common';
import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ValidationFailed } from '../errors/domain-error';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
/**
 * Deepest page start, REST `offset` and GraphQL cursors alike. OFFSET reads and discards every skipped row, so
 * deep pages cost like reading the table; a million rows is beyond any list a client pages through (filters and
 * `since`/`until` narrow long histories), and the bound keeps offsets exact in JavaScript numbers and far below
 * PostgreSQL's bigint.
 */
export const MAX_OFFSET = 1_000_000;

/**
 * Query-string integers: only optional minus and digits convert, so `1e20`, `0x10` or an empty value stay
 * strings and fail @IsInt with the field named, instead of becoming numbers nobody wrote.
 */
function QueryInt(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,20}$/.test(value) ? Number(value) : value,
  );
}

/**
 * `q` as a case-insensitive substring filter. Prisma hands `contains` to LIKE as it is, so `%` and `_` would be
 * wildcards and `q=%` would match everything; escaped, they match themselves.
 */
export function containsText(q: string): { contains: string; mode: 'insensitive' } {
  return { contains: q.replace(/[\\%_]/g, (c) => `\\${c}`), mode: 'insensitive' };
}

export interface Page {
  limit: number;
  offset: number;
}

export interface PageResult<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** REST list query: `?limit=&offset=&q=`; resources extend it with their filters. */
export class ListQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset?: number;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

/** One page of rows and the total count of the same filter, read concurrently. */
export async function paginate<T>(
  page: Page,
  find: (window: { take: number; skip: number }) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<PageResult<T>> {
  const [items, total] = await Promise.all([find({ take: page.limit, skip: page.offset }), count()]);
  return { items, total, ...page };
}

export function pageOf(query: { limit?: number; offset?: number }): Page {
  return { limit: query.limit ?? DEFAULT_LIMIT, offset: query.offset ?? 0 };
}

/** Builds the `{ items, total, limit, offset }` envelope class for OpenAPI. */
export function ListResponse<T>(item: NestType<T>): NestType<PageResult<T>> {
  class ListResponseClass implements PageResult<T> {
    @ApiProperty({ type: [item] })
    items!: T[];

    @ApiProperty()
    total!: number;

    @ApiProperty()
    limit!: number;

    @ApiProperty()
    offset!: number;
  }
  Object.defineProperty(ListResponseClass, 'name', { value: `${item.name}List` });
  return ListResponseClass;
}

/** GraphQL connection arguments; the cursor is an opaque offset. */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Page size (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT})` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  first?: number;

  @Field(() => String, { nullable: true, description: 'Cursor of the edge after which to start' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  after?: string | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

export function connectionPage(args: ConnectionArgs): Page {
  let offset = 0;
  // GraphQL passes an explicit `after: null` through; it means "from the start", like an omitted cursor.
  if (args.after !== undefined && args.after !== null) {
    const match = /^offset:(\d+)$/.exec(Buffer.from(args.after, 'base64url').toString('utf8'));
    if (!match) throw ValidationFailed.field('after', 'after is not a valid cursor');
    offset = Number(match[1]) + 1;
    if (offset > MAX_OFFSET) {
      throw ValidationFailed.field('after', `after points past the deepest page start (${MAX_OFFSET})`);
    }
  }
  return { limit: args.first ?? DEFAULT_LIMIT, offset };
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Connection<T> {
  totalCount: number;
  nodes: T[];
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

export function toConnection<T, M>(result: PageResult<T>, map: (row: T) => M): Connection<M> {
  const nodes = result.items.map(map);
  const edges = nodes.map((node, index) => ({ cursor: encodeCursor(result.offset + index), node }));
  return {
    totalCount: result.total,
    nodes,
    edges,
    pageInfo: {
      hasNextPage: result.offset + nodes.length < result.total,
      hasPreviousPage: result.offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/** Builds `<Item>Connection { totalCount nodes edges { cursor node } pageInfo }`. */
export function ConnectionType<T>(item: NestType<T>): NestType<Connection<T>> {
  @ObjectType(`${item.name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => item)
    node!: T;
  }

  @ObjectType({ isAbstract: true })
  class ConnectionClass implements Connection<T> {
    @Field(() => Int)
    totalCount!: number;

    @Field(() => [item])
    nodes!: T[];

    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return ConnectionClass;
}
