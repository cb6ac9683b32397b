// `npm run secret:rotate`: re-encrypts stored firewall credentials under a new SECRET_KEY.
//   NEW_SECRET_KEY=<new> [SECRET_KEY=<current>] npm run secret:rotate
// With the embedded database and no SECRET_KEY, the current key is <DATA_DIR>/secret.key, which is
// replaced by the new key once every credential has moved. Then restart the service with the new key.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialCipher, loadOrCreateKeyFile, openDatabase, rotateCredentials } from '@app/persistence';
import { ConfigError, loadConfig } from '../config/app-config';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const next = process.env.NEW_SECRET_KEY?.trim();
  if (!next)
    throw new ConfigError(['NEW_SECRET_KEY must be set to the new key (e.g. `openssl rand -hex 32`)']);
  const to = CredentialCipher.fromString(next);
  const keyFile = config.dataDir ? join(config.dataDir, 'secret.key') : undefined;
  const usesKeyFile = !config.secretKey && !config.databaseUrl && keyFile !== undefined;
  const current = config.secretKey ?? (usesKeyFile ? loadOrCreateKeyFile(keyFile).key : undefined);
  if (!current) throw new ConfigError(['SECRET_KEY must be set to the current key']);
  const from = CredentialCipher.fromString(current);

  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl || !config.dataDir ? undefined : join(config.dataDir, 'pglite'),
    migrationsDir: config.migrationsDir,
  });
  try {
    const report = await rotateCredentials(db.prisma, from, to);
    if (usesKeyFile) {
      writeFileSync(`${keyFile}.new`, `${next}\n`, { mode: 0o600 });
      renameSync(`${keyFile}.new`, keyFile);
    }
    process.stdout.write(
      `re-encrypted ${report.rotated} credential(s) from key ${from.keyId} to key ${to.keyId}` +
        ` (${report.alreadyCurrent} already under the new key)` +
        (usesKeyFile
          ? `; ${keyFile} now holds the new key\n`
          : '; restart the service with SECRET_KEY set to the new key\n'),
    );
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
