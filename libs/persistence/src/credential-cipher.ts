import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const ALGORITHM = 'aes-256-gcm';
const FORMAT = 'v1';

/**
 * AES-256-GCM envelope for firewall credentials: `v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64).
 * The key id (first bytes of the key's SHA-256) lets a rotation tell which key sealed a value.
 */
export class CredentialCipher {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SECRET_KEY must decode to exactly 32 bytes');
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  static fromString(secret: string): CredentialCipher {
    return new CredentialCipher(parseKey(secret));
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT, this.keyId, iv.toString('base64'), tag.toString('base64'), data.toString('base64')].join(
      ':',
    );
  }

  decrypt(envelope: string): string {
    const [format, keyId, iv, tag, data] = envelope.split(':');
    if (format !== FORMAT || !iv || !tag || data === undefined)
      throw new Error('unrecognised credential envelope');
    if (keyId !== this.keyId) throw new Error(`credential sealed with another key (${keyId})`);
    const decipher = createDecipheriv(ALGORITHM, this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** Accepts 64 hex characters or base64 of 32 bytes. */
export function parseKey(secret: string): Buffer {
  const trimmed = secret.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const decoded = Buffer.from(trimmed, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/]+=*$/.test(trimmed)) return decoded;
  throw new Error('must be 64 hex characters or the base64 encoding of 32 random bytes');
}

export function isValidKey(secret: string): boolean {
  try {
    parseKey(secret);
    return true;
  } catch {
    return false;
  }
}

/** Reads the embedded-mode key file, creating it (mode 0600) with a fresh random key the first time. */
export function loadOrCreateKeyFile(path: string): { key: string; created: boolean } {
  if (existsSync(path)) return { key: readFileSync(path, 'utf8').trim(), created: false };
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, created: true };
}
