import type { AddressInfo } from 'node:net';
import express from 'express';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@loanops/db';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestApi, type TestApi } from '../support/api.js';

let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

describe('responses', () => {
  it('allow CORS for CORS_ORIGIN only', async () => {
    const allowed = await fetch(`${api.url}/v1/loans`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173' } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const other = await fetch(`${api.url}/v1/loans`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('carry helmet headers and a request id, and echo a sane incoming request id', async () => {
    const response = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'gateway-abc-123' } });
    expect(response.headers.get('x-request-id')).toBe('gateway-abc-123');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const odd = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces<script>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("carry exactly the security headers helmet's own middleware sets", async () => {
    const reference = express();
    reference.disable('x-powered-by');
    reference.use(helmet());
    reference.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    const server = reference.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const expected = (await fetch(`http://127.0.0.1:${port}/healthz`)).headers;
      const actual = (await fetch(`${api.url}/healthz`)).headers;
      const names = [...expected.keys()].filter((name) => !['date', 'etag', 'content-length', 'connection', 'keep-alive'].includes(name));
      expect(names.length).toBeGreaterThan(10);
      for (const name of names) expect([name, actual.get(name)]).toEqual([name, expected.get(name)]);
      expect(actual.get('x-powered-by')).toBeNull();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('never show SQL or a stack trace when something unexpected fails', async () => {
    const broken = createDb({ databaseUrl: database.url.replace(/\/[^/]+$/, '/loanops_no_such_database'), poolMax: 1 });
    const brokenApi = await startTestApi({ ...database, db: broken.db }, redis.queues);
    try {
      const response = await brokenApi.request('GET', '/v1/loans?bucket=NPA', { role: 'ops' });
      expect(response.status).toBeGreaterThanOrEqual(500);
      const text = JSON.stringify(response.body);
      expect(text).not.toMatch(/select|from "loans"|loanops_no_such_database|at .*\.ts|node_modules/i);
      expect((response.body as { requestId: string }).requestId).toBe(response.headers.get('x-request-id'));
    } finally {
      await brokenApi.close();
      await broken.close();
    }
  });
});
