import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentRequestSchema } from '@loanops/payments';
import { ROUTE_ROLES } from '../../apps/api/src/http/access.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';

interface Operation {
  'x-roles'?: string[];
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown>; required?: string[] } } } };
  responses: Record<string, unknown>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let document: Document;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
  const response = await api.request('GET', '/openapi.json', { role: null });
  expect(response.status).toBe(200);
  document = response.body as Document;
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists every route of the role table with its roles', () => {
    expect(document.openapi).toBe('3.1.0');
    const keys = Object.keys(ROUTE_ROLES) as (keyof typeof ROUTE_ROLES)[];
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) {
      const [method, path] = key.split(' ') as [string, string];
      const operation = document.paths[path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(operation, key).toBeDefined();
      expect(operation?.['x-roles'], key).toEqual([...ROUTE_ROLES[key]]);
      for (const name of [...path.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1])) {
        expect(operation?.parameters, key).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
      }
    }
    expect(document.paths['/v1/auth/token']?.post).toBeDefined();
  });

  it('describes request bodies and queries from the schemas the handlers validate with', () => {
    const payment = document.paths['/v1/payments']?.post?.requestBody?.content['application/json'].schema;
    const shape = Object.keys(paymentRequestSchema.shape).sort();
    expect(Object.keys(payment?.properties ?? {}).sort()).toEqual(shape);
    expect(payment?.required?.sort()).toEqual(['amountPaise', 'mode', 'utr', 'valueDate']);
    const listLoans = document.paths['/v1/loans']?.get?.parameters.map((parameter) => `${parameter.in}:${parameter.name}`);
    expect(listLoans).toEqual(expect.arrayContaining(['query:bucket', 'query:status', 'query:limit', 'query:cursor']));
    expect(document.paths['/v1/payments']?.post?.responses).toHaveProperty('409');
  });

  it('is browsable at /docs, with every asset served by the API itself', async () => {
    const page = await api.request('GET', '/docs', { role: null });
    expect(page.status).toBe(200);
    const html = page.body as string;
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(sources.length).toBeGreaterThanOrEqual(3);
    for (const source of sources) {
      expect(source.startsWith('/')).toBe(true);
      const asset = await api.request('GET', source, { role: null });
      expect(asset.status, source).toBe(200);
    }
    expect((await api.request('GET', '/docs/init.js', { role: null })).body).toContain("url: '/openapi.json'");
  });
});
