import { CredentialCipher } from './credential-cipher';
import type { PrismaClient } from './generated/prisma/client';

export interface RotationReport {
  rotated: number;
  alreadyCurrent: number;
}

/**
 * Re-encrypts every stored device credential from `from` to `to` in one transaction: either every
 * credential moves to the new key or none does. Values already sealed with `to` are left alone, so an
 * interrupted rotation can simply be run again.
 */
export async function rotateCredentials(
  prisma: PrismaClient,
  from: CredentialCipher,
  to: CredentialCipher,
): Promise<RotationReport> {
  return prisma.$transaction(async (tx) => {
    const devices = await tx.device.findMany({
      where: { credentialsEncrypted: { not: null } },
      select: { id: true, credentialsEncrypted: true },
    });
    const report: RotationReport = { rotated: 0, alreadyCurrent: 0 };
    for (const device of devices) {
      const envelope = device.credentialsEncrypted!;
      if (envelope.split(':')[1] === to.keyId) {
        report.alreadyCurrent += 1;
        continue;
      }
      const sealed = to.encrypt(from.decrypt(envelope));
      await tx.device.update({ where: { id: device.id }, data: { credentialsEncrypted: sealed } });
      report.rotated += 1;
    }
    return report;
  });
}
