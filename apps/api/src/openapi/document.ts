import { z } from 'zod';
import type { BucketTable } from '@loanops/domain';
import { ROUTE_ROLES, type RouteKey } from '../http/access.js';
import { tokenRequest } from '../routes/auth.js';
import { routeOperations, type OperationSpec } from './operations.js';

type JsonSchema = Record<string, unknown>;

/** The request side of a schema (what a client sends, before transforms), as JSON Schema 2020-12. */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
}

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

function operation(key: string, spec: OperationSpec, roles: readonly string[] | null): JsonSchema {
  const responses: Record<string, unknown> = {
    [String(spec.success.status)]: { description: spec.success.description },
    400: { description: 'VALIDATION_ERROR: each wrong field in details', content: errorContent },
  };
  for (const [status, description] of Object.entries(spec.errors ?? {})) {
    responses[status] = { description, content: errorContent };
  }
  if (roles) {
    responses[401] = { description: 'UNAUTHENTICATED', content: errorContent };
    responses[403] = { description: 'FORBIDDEN (role not allowed)', content: errorContent };
  }
  responses[429] ??= { description: 'RATE_LIMITED', content: errorContent };
  responses[503] = { description: 'SERVICE_UNAVAILABLE: a dependency is down; try again', content: errorContent };
  return {
    operationId: key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''),
    summary: spec.summary,
    ...(roles ? { description: `Roles: ${roles.join(', ')}.`, 'x-roles': roles } : { security: [] }),
    parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')],
    ...(spec.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } } }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas the handlers validate
 * with (zod's own JSON Schema output, which is the 2020-12 dialect OpenAPI 3.1 uses).
 */
export function buildOpenApiDocument(settings: { bucketTable: BucketTable; pageMax: number }): JsonSchema {
  const operations = routeOperations(settings);
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (key: string, spec: OperationSpec, roles: readonly string[] | null) => {
    const [method, path] = key.split(' ') as [string, string];
    const openApiPath = path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[openApiPath] ??= {};
    (paths[openApiPath] as Record<string, unknown>)[method.toLowerCase()] = operation(key, spec, roles);
  };
  for (const key of Object.keys(ROUTE_ROLES) as RouteKey[]) add(key, operations[key], ROUTE_ROLES[key]);
  add('POST /v1/auth/token', {
    summary: 'Sign in with e-mail and password for a bearer token',
    body: tokenRequest,
    success: { status: 200, description: '{ accessToken, tokenType, expiresIn }' },
    errors: { 401: 'INVALID_CREDENTIALS', 429: 'TOO_MANY_ATTEMPTS' },
  }, null);
  return {
    openapi: '3.1.0',
    info: {
      title: 'LoanOps API',
      version: '1',
      description:
        'Collections back office. Money is integer paise (amountPaise); dates are IST business dates (YYYY-MM-DD). ' +
        'Every response carries X-Request-Id. Operations endpoints outside /v1: GET /healthz, GET /readyz, GET /metrics.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'requestId'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            },
            requestId: { type: 'string' },
          },
        },
      },
    },
    paths,
  };
}
