const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/**
 * The device a management URL (and FortiOS VDOM) addresses, as one comparable key: scheme, host (lower case,
 * as the WHATWG URL parser normalises it, so `10.0.0.1`, `010.0.0.1` and `[::1]` forms agree) and port with the
 * scheme's default made explicit; path, query, user info and fragment do not change which device answers.
 * Two device records with one key would plan against the same managed objects and delete each other's rules.
 * Null for a URL that does not parse (input validation refuses those before this is reached).
 */
export function endpointKey(managementUrl: string, vdom: string | null): string | null {
  let url: URL;
  try {
    url = new URL(managementUrl);
  } catch {
    return null;
  }
  const port = url.port || DEFAULT_PORTS[url.protocol] || '';
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  return `${url.protocol}//${host}:${port}${vdom ? `#vdom=${vdom}` : ''}`;
}
