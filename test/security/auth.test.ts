import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signAccessToken } from '@loanops/auth';
import { ROUTE_ROLES, type RouteKey } from '../../apps/api/src/http/access.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startOwnRedis } from '../support/own-redis.js';
import { waitFor } from '../support/wait.js';
import { createRedis } from '@loanops/runtime';
import { TEST_JWT_SECRET, startTestApi, type RecordedAlert, type TestApi } from '../support/api.js';

const ALL_ROLES = ['admin', 'ops', 'finance', 'collector', 'legal'] as const;
const SAMPLE_PARAMS: Record<string, string> = {
  id: '1',
  intakeId: '00000000-0000-4000-8000-000000000001',
  paymentId: '1',
  editId: '00000000-0000-4000-8000-000000000002',
};

let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
const alerts: RecordedAlert[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues, { unauthorizedBurstPerMinute: 5 }, { alerts });
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

function pathOf(key: RouteKey): { method: string; path: string } {
  const [method, template] = key.split(' ') as [string, string];
  return { method, path: template.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name] ?? '1') };
}

const send = (method: string, path: string, authorization?: string) =>
  fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: method === 'GET' ? undefined : '{}',
  });

describe('every /v1 route', () => {
  const routes = Object.keys(ROUTE_ROLES) as RouteKey[];

  it.each(routes)('%s answers 401 without a token, with an expired one, a bad signature, or a forged algorithm', async (key) => {
    const { method, path } = pathOf(key);
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const badSignature = await signAccessToken({ sub: 'u1', role: 'admin' }, 'another-secret-that-is-long-enough-0123456789', 600);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'u1', role: 'admin', exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url')}.`;
    const noExp = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    for (const authorization of [undefined, `Bearer ${expired}`, `Bearer ${badSignature}`, `Bearer ${unsigned}`, `Bearer ${noExp}`, 'Basic YTpi', 'Bearer']) {
      const response = await send(method, path, authorization);
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { code: string }; requestId: string };
      expect(body.error.code).toBe('UNAUTHENTICATED');
      expect(body.requestId).toBe(response.headers.get('x-request-id'));
    }
  });

  it.each(routes)('%s answers 403 to every role it does not list', async (key) => {
    const { method, path } = pathOf(key);
    const allowed = ROUTE_ROLES[key] as readonly string[];
    for (const role of ALL_ROLES.filter((r) => !allowed.includes(r))) {
      const response = await send(method, path, `Bearer ${await api.token(role)}`);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
  });

  it('raises the unauthorized-access alert when 401s come in a burst', () => {
    // The tests above answered far more than 5 unauthorized requests within the minute.
    expect(alerts.some((alert) => alert.kind === 'unauthorized-burst')).toBe(true);
  });
});

describe('POST /v1/auth/token', () => {
  beforeAll(async () => {
    await createUser(database.db, { email: 'Asha@Lender.in', displayName: 'Asha', role: 'finance', password: 'correct horse battery' }, { type: 'system', id: 'test' });
    await createUser(
      database.db,
      { email: 'ravi@lender.in', displayName: 'Ravi', role: 'collector', password: 'collector pass 123', collectorCode: 'COL77', collectorName: 'Ravi' },
      { type: 'system', id: 'test' },
    );
  });

  const signIn = (email: string, password: string) =>
    api.request('POST', '/v1/auth/token', { role: null, body: { email, password } });

  it('gives a working bearer token for the right e-mail (any case) and password', async () => {
    const response = await signIn('asha@lender.IN', 'correct horse battery');
    expect(response.status).toBe(200);
    const token = response.body as { accessToken: string; tokenType: string; expiresIn: number; role: string };
    expect(token).toMatchObject({ tokenType: 'Bearer', expiresIn: 600, role: 'finance' });
    const loans = await fetch(`${api.url}/v1/loans`, { headers: { authorization: `Bearer ${token.accessToken}` } });
    expect(loans.status).toBe(200);
  });

  it("puts a collector's collector id in the token", async () => {
    const response = await signIn('ravi@lender.in', 'collector pass 123');
    const { accessToken } = response.body as { accessToken: string };
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString()) as { sub: string; role: string };
    const collector = await database.db.selectFrom('collectors').select('id').where('code', '=', 'COL77').executeTakeFirstOrThrow();
    expect(payload).toMatchObject({ sub: String(collector.id), role: 'collector' });
  });

  it('answers a wrong password and an unknown e-mail alike, with 401', async () => {
    for (const [email, password] of [['asha@lender.in', 'wrong password!!'], ['nobody@lender.in', 'correct horse battery']] as const) {
      const response = await signIn(email, password);
      expect(response.status).toBe(401);
      expect((response.body as { error: { code: string } }).error.code).toBe('INVALID_CREDENTIALS');
    }
  });

  it('refuses an account for a while after repeated failures, even with the right password', async () => {
    await createUser(database.db, { email: 'meena@lender.in', displayName: 'Meena', role: 'ops', password: 'meena password 1' }, { type: 'system', id: 'test' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await signIn('meena@lender.in', `nope-${i}-xxxxxxx`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    const locked = await signIn('meena@lender.in', 'meena password 1');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const audit = await database.db.selectFrom('audit_log').select('action').where('action', '=', 'USER_LOCKED_OUT').execute();
    expect(audit).toHaveLength(1);
  }, 60_000);

  it('keeps the lock-out while Redis is away, and after it comes back empty', async () => {
    await createUser(database.db, { email: 'kiran@lender.in', displayName: 'Kiran', role: 'ops', password: 'kiran password 1' }, { type: 'system', id: 'test' });
    const own = await startOwnRedis();
    const connection = createRedis(own.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const guarded = await startTestApi(database, redis.queues, {}, { redis: connection });
    const attempt = (password: string) =>
      guarded.request('POST', '/v1/auth/token', { role: null, body: { email: 'kiran@lender.in', password } });
    try {
      // Two failures counted while Redis answers, three more while it is away: five in the window.
      const statuses: number[] = [];
      for (let i = 0; i < 2; i += 1) statuses.push((await attempt(`nope-${i}-xxxxxxx`)).status);
      await own.stop();
      for (let i = 2; i < 5; i += 1) statuses.push((await attempt(`nope-${i}-xxxxxxx`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      const whileAway = await attempt('kiran password 1');
      expect(whileAway.status).toBe(429);
      expect(Number(whileAway.headers.get('retry-after'))).toBeGreaterThan(0);
      // Redis back, with none of its counts: the account stays locked for the rest of the window.
      await own.start();
      await waitFor(async () => (await connection.ping().catch(() => null)) === 'PONG', { what: 'the counters connection back' });
      expect((await attempt('kiran password 1')).status).toBe(429);
      const lockouts = await database.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', '=', 'USER_LOCKED_OUT')
        .where('entity_id', '=', String((await database.db.selectFrom('users').select('id').where('email', '=', 'kiran@lender.in').executeTakeFirstOrThrow()).id))
        .execute();
      expect(lockouts).toHaveLength(1);
    } finally {
      await guarded.close();
      connection.disconnect();
      await own.destroy();
    }
  }, 60_000);

  it('answers a malformed sign-in with 400', async () => {
    const response = await api.request('POST', '/v1/auth/token', { role: null, body: { email: 'a@b.in' } });
    expect(response.status).toBe(400);
    expect((response.body as { error: { details: { path: string }[] } }).error.details[0]?.path).toBe('password');
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the per-user budget', async () => {
    const limited = await startTestApi(database, redis.queues, {
      rateLimits: { perAddressPerMinute: 0, perUserPerMinute: 3, keyPrefix: `rl-${Date.now()}` },
    });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await limited.request('GET', '/v1/loans', { role: 'ops', sub: 'rl-user' })).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const refused = await limited.request('GET', '/v1/loans', { role: 'ops', sub: 'rl-user' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((refused.body as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      expect((await limited.request('GET', '/v1/loans', { role: 'ops', sub: 'another-user' })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('answers 429 past the per-address budget, before authentication', async () => {
    const limited = await startTestApi(database, redis.queues, {
      rateLimits: { perAddressPerMinute: 2, perUserPerMinute: 0, keyPrefix: `rla-${Date.now()}` },
    });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await limited.request('GET', '/v1/loans', { role: null })).status);
      expect(statuses).toEqual([401, 401, 429]);
      const forged = await fetch(`${limited.url}/v1/loans`, { headers: { authorization: 'Bearer not.a.token' } });
      expect(forged.status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('counts requests sent together exactly, and keeps counting after Redis forgets its scripts', async () => {
    // As the API process connects: auto-pipelined, so one turn's counts go out in one write.
    const own = await startOwnRedis();
    const connection = createRedis(own.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
    const limited = await startTestApi(
      database,
      redis.queues,
      { rateLimits: { perAddressPerMinute: 0, perUserPerMinute: 6, keyPrefix: `rlp-${Date.now()}` } },
      { redis: connection },
    );
    try {
      const together = await Promise.all(
        Array.from({ length: 4 }, () => limited.request('GET', '/v1/loans', { role: 'ops', sub: 'rlp-user' })),
      );
      expect(together.map((response) => response.status)).toEqual([200, 200, 200, 200]);
      // A restarted Redis has no scripts: the count must go on, not fail open.
      await connection.script('FLUSH');
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await limited.request('GET', '/v1/loans', { role: 'ops', sub: 'rlp-user' })).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
      connection.disconnect();
      await own.destroy();
    }
  });
});
