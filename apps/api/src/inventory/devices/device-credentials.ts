import type { DeviceCredentials as ConnectorCredentials } from '@app/connectors';
import type { Vendor } from '@app/engine/model';
import { ValidationFailed } from '../../common/errors/domain-error';
import type { CredentialsInput } from './device.input';

export type DeviceCredentials =
  | { kind: 'apiKey'; apiKey: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'token'; token: string }
  | { kind: 'keySecret'; key: string; secret: string };

const FIELDS = ['apiKey', 'username', 'password', 'token', 'key', 'secret'] as const;

const SHAPES: Record<Vendor, { kind: DeviceCredentials['kind']; fields: (typeof FIELDS)[number][] }[]> = {
  pfsense: [
    { kind: 'apiKey', fields: ['apiKey'] },
    { kind: 'basic', fields: ['username', 'password'] },
  ],
  fortios: [{ kind: 'token', fields: ['token'] }],
  opnsense: [{ kind: 'keySecret', fields: ['key', 'secret'] }],
};

/** Checks the credential fields fit the vendor; error messages name fields, never values. */
export function credentialsFor(vendor: Vendor, input: CredentialsInput): DeviceCredentials {
  const given = FIELDS.filter((f) => input[f] !== undefined && input[f] !== null);
  const shapes = SHAPES[vendor];
  const expected = shapes.map((s) => s.fields.join(' + ')).join(', or ');
  const shape = shapes.find(
    (s) => s.fields.length === given.length && s.fields.every((f) => given.includes(f)),
  );
  if (!shape) {
    const foreign = given.find((f) => !shapes.some((s) => s.fields.includes(f)));
    const field = foreign ? `credentials.${foreign}` : 'credentials';
    throw ValidationFailed.field(field, `${vendor} credentials must be ${expected}`);
  }
  const value = (f: (typeof FIELDS)[number]): string => input[f] as string;
  switch (shape.kind) {
    case 'apiKey':
      return { kind: 'apiKey', apiKey: value('apiKey') };
    case 'basic':
      return { kind: 'basic', username: value('username'), password: value('password') };
    case 'token':
      return { kind: 'token', token: value('token') };
    case 'keySecret':
      return { kind: 'keySecret', key: value('key'), secret: value('secret') };
  }
}

export function credentialKindFits(vendor: Vendor, kind: string | null): boolean {
  return kind === null || SHAPES[vendor].some((s) => s.kind === kind);
}

/** A connector's credentials in the inventory's input shape: what a client sends to register that device. */
export function credentialsInputOf(c: ConnectorCredentials): Record<string, string> {
  switch (c.kind) {
    case 'pfsense-api-key':
      return { apiKey: c.apiKey };
    case 'pfsense-basic':
      return { username: c.username, password: c.password };
    case 'fortios-token':
      return { token: c.token };
    case 'opnsense-api-key':
      return { key: c.key, secret: c.secret };
  }
}
