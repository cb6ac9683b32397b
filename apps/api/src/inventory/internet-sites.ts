import type { Prisma } from '@app/persistence';
import { ValidationFailed } from '../common/errors/domain-error';

/**
 * A site that is the internet itself has no firewall of ours and no networks of its own (engine SiteInput
 * `onInternet`): a zone or a device placed there would describe something the engine ignores.
 */
export async function assertNotOnInternet(
  tx: Pick<Prisma.TransactionClient, 'site'>,
  siteId: string,
  what: 'zone' | 'device',
  field = 'siteId',
): Promise<void> {
  const site = await tx.site.findUnique({ where: { id: siteId }, select: { name: true, onInternet: true } });
  if (site?.onInternet) {
    throw ValidationFailed.field(
      field,
      `site ${site.name} is on the internet (onInternet): it has no ${what}s; its nodes reach other sites only ` +
        'through publications',
    );
  }
}
