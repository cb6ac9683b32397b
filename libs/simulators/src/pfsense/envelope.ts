import type { SimResponse } from '../core/server';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const REASONS: Record<number, string> = {
  200: 'ok',
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  406: 'not acceptable',
  409: 'conflict',
  415: 'unsupported media type',
  422: 'unprocessable entity',
  424: 'failed dependency',
  429: 'too many requests',
  500: 'internal server error',
  502: 'bad gateway',
  503: 'service unavailable',
  504: 'gateway timeout',
};

/** An API error raised inside the simulator's model code; rendered as the pfSense envelope. */
export class PfApiError extends Error {
  constructor(
    readonly code: number,
    readonly responseId: string,
    message: string,
    readonly data: Json = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * `{"code","status","response_id","message","data"}`; status = lower-case reason phrase, response_id upper-case,
 * `"` and `'` in messages replaced by backticks, lower-case `content-type: application/json`. Every 503 carries
 * `Retry-After` (default 5).
 */
export function envelope(
  code: number,
  responseId: string,
  message: string,
  data: Json,
  headers: Record<string, string> = {},
): SimResponse {
  const body = {
    code,
    status: REASONS[code] ?? 'unknown',
    response_id: responseId.toUpperCase(),
    message: message.replace(/["']/g, '`'),
    data,
  };
  const extra: Record<string, string> = { ...headers };
  if (code === 503 && extra['retry-after'] === undefined) extra['retry-after'] = '5';
  return {
    status: code,
    headers: { 'content-type': 'application/json', ...extra },
    body: JSON.stringify(body),
  };
}

export function success(data: Json): SimResponse {
  return envelope(200, 'SUCCESS', '', data);
}

export function errorResponse(err: PfApiError): SimResponse {
  return envelope(err.code, err.responseId, err.message, err.data, err.headers);
}

/** nginx's own 404 page for paths with no endpoint (`try_files $uri/index.php =404`): HTML, not the envelope. */
export function nginx404(): SimResponse {
  return {
    status: 404,
    headers: { 'content-type': 'text/html' },
    body:
      '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n' +
      '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
  };
}

function nginxPage(status: number, text: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'text/html' },
    body: `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  };
}

/** Bodies used for injected faults: what the real stack would send for that status. */
export function pfFaultResponse(status: number, method: string): SimResponse {
  if (status === 502) return nginxPage(502, 'Bad Gateway');
  if (status === 504) return nginxPage(504, 'Gateway Time-out');
  if (status === 503) {
    return method === 'GET'
      ? envelope(503, 'ENDPOINT_UNAVAILABLE', 'The requested endpoint is temporarily unavailable.', [])
      : envelope(
          503,
          'MODEL_WRITE_CONFIG_LOCKED',
          'Failed to write to the configuration file after multiple attempts.',
          [],
        );
  }
  if (status === 500) {
    return envelope(
      500,
      'ENDPOINT_RECEIVED_UNEXPECTED_ERROR',
      'An unexpected error occurred: simulated fault',
      [],
    );
  }
  if (status === 429)
    return envelope(429, 'SIMULATED_TOO_MANY_REQUESTS', 'Too many requests (simulated).', []);
  return envelope(status, 'SIMULATED_FAULT', `Simulated fault ${status}.`, []);
}
