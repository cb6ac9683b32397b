import type {
  CustomFlow,
  Deployment,
  ItemCache,
  Node,
  Prisma,
  Publication,
  Site,
  Tenant,
  Webhook,
  Zone,
} from '@app/persistence';
import { itemKey, TenantScope } from '../tenants/tenant-scope';
import { PrismaService } from './prisma.service';

/** The rows services read by id alone, by Prisma model name. */
interface ItemRows {
  CustomFlow: CustomFlow;
  Deployment: Deployment;
  Node: Node;
  Publication: Publication;
  Site: Site;
  Tenant: Tenant;
  Webhook: Webhook;
  Zone: Zone;
}

type Delegate<M extends keyof ItemRows> = {
  findUnique(args: { where: { id: string } }): Promise<ItemRows[M] | null>;
};

const delegateOf = <M extends keyof ItemRows>(prisma: PrismaService, model: M): Delegate<M> =>
  (prisma as unknown as Record<Uncapitalize<Prisma.ModelName>, Delegate<M>>)[
    (model.charAt(0).toLowerCase() + model.slice(1)) as Uncapitalize<Prisma.ModelName>
  ];

/**
 * A row by id, answered from the item cache without entering Prisma when the cache holds it: building and running a
 * Prisma query cost about 40 µs of server CPU per item read (239 → 196 µs when measured), even when its query
 * extension then answered from the cache. The rules are the extension's (withTenantScope): a token limited to
 * tenants always reads through the database with its tenant condition; otherwise a fresh cached copy, or
 * `findUnique`, which loads and keeps it.
 */
export class ItemReads {
  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemCache,
  ) {}

  async byId<M extends keyof ItemRows>(model: M, id: string): Promise<ItemRows[M] | null> {
    if (!TenantScope.current().limited) {
      const hit = this.items.peek<ItemRows[M]>(itemKey(model, id));
      if (hit !== undefined) return hit;
    }
    return delegateOf(this.prisma, model).findUnique({ where: { id } });
  }
}
