import type { OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject, ParameterObject } from '@nestjs/swagger/dist/interfaces';
import { SERVER_LIMITS } from './server-limits';

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is the same as GraphQL `extensions.code`',
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string', example: 'https://utm-firewall-orchestrator/problems/bad-user-input' },
    title: { type: 'string', example: 'Bad Request' },
    status: { type: 'integer', example: 400 },
    code: { type: 'string', example: 'BAD_USER_INPUT' },
    detail: { type: 'string', example: 'name is required' },
    instance: { type: 'string', example: '/api/v1/sites' },
    requestId: { type: 'string', description: 'Also in the X-Request-Id response header and the logs' },
    errors: {
      type: 'array',
      description: 'One entry per offending field (dotted paths for nested fields)',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string', example: 'name' }, message: { type: 'string' } },
      },
    },
  },
};

const IDEMPOTENCY_KEY: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Replays the stored response for 24 hours when sent again with the same body; a different body answers 422',
  schema: { type: 'string', maxLength: 255 },
};

const WITH_BODY = new Set(['post', 'put', 'patch']);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Documents the error answers every route shares, in one place rather than on each controller: problem+json
 * bodies for 400/401/403/404/409/414/415/422/429 where they can happen, and the Idempotency-Key header on POST. New
 * routes get them by default; routes that are public (health) only keep what they declare.
 */
export function documentProblems(document: OpenAPIObject): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.schemas = { ...document.components.schemas, Problem: PROBLEM_SCHEMA };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      if (path === '/health') {
        operation.security = [];
        addProblem(operation, 429, 'Over the client address’s rate limit; see Retry-After');
        continue;
      }
      const add = (status: number, description: string): void => {
        addProblem(operation, status, description);
      };
      add(401, 'Missing, unknown, revoked or expired token');
      add(403, 'The token lacks the scope this route needs');
      add(429, 'Over the token’s or the client address’s rate limit; see Retry-After');
      add(414, `The request target (path and query) is longer than ${SERVER_LIMITS.maxUrlLength} characters`);
      if (path.includes('{') || (operation.parameters ?? []).length > 0 || WITH_BODY.has(method)) {
        add(400, 'Invalid input, with field-level detail in `errors`');
      }
      if (path.includes('{')) add(404, 'No such resource');
      if (WITH_BODY.has(method)) {
        add(415, 'The body is not JSON');
        add(409, 'Conflicts with the current state (duplicate name, reference, concurrent push)');
      }
      if (method === 'delete') add(409, 'Still referenced; the problem lists what references it');
      if (method === 'post') {
        operation.parameters = [...(operation.parameters ?? []), IDEMPOTENCY_KEY];
        add(422, 'Idempotency-Key reused with a different request');
      }
    }
  }
  return document;
}

function addProblem(operation: OperationObject, status: number, description: string): void {
  const key = String(status);
  if (operation.responses[key]) return;
  operation.responses[key] = {
    description,
    content: { 'application/problem+json': { schema: PROBLEM_REF } },
  };
}
