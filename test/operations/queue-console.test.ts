import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '@loanops/auth';
import { startTestApi, type RecordedAlert, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { QUEUE_NAMES, createQueues } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { startOwnRedis } from '../support/own-redis.js';

/**
 * The queue console over plain HTTP: sign-in, the session cookie, refusal of cross-site writes,
 * ops kept read-only even when forging the board's calls, and sign-out.
 */
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;

const ADMIN = { email: 'meera@lender.in', password: 'console admin pass 1' };
const OPS = { email: 'kiran@lender.in', password: 'console ops pass 12' };
const FINANCE = { email: 'farah@lender.in', password: 'console finance 123' };

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
  const system = { type: 'system' as const, id: 'test' };
  await createUser(database.db, { ...ADMIN, displayName: 'Meera', role: 'admin' }, system);
  await createUser(database.db, { ...OPS, displayName: 'Kiran', role: 'ops' }, system);
  await createUser(database.db, { ...FINANCE, displayName: 'Farah', role: 'finance' }, system);
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

function send(method: string, path: string, options: { cookie?: string; origin?: string | null; site?: string; form?: Record<string, string> } = {}) {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  const origin = options.origin === undefined ? api.url : options.origin;
  if (origin !== null) headers.origin = origin;
  if (options.site) headers['sec-fetch-site'] = options.site;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  return fetch(`${api.url}${path}`, { method, headers, body, redirect: 'manual' });
}

async function signIn(user: { email: string; password: string }): Promise<string> {
  const response = await send('POST', '/admin/sign-in', { form: { ...user, next: '/admin/queues' } });
  expect(response.status).toBe(303);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const match = /^loanops_console=([^;]+)/.exec(setCookie);
  expect(match).not.toBeNull();
  return `loanops_console=${match?.[1]}`;
}

const isPaused = (name: 'payments' | 'edits') => redis.queues.get(name).isPaused();

describe('the queue console', () => {
  it('sends the signed-out to the sign-in page, and answers its API 401', async () => {
    const page = await send('GET', '/admin/queues/queue/payments');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/admin/sign-in?next=%2Fadmin%2Fqueues%2Fqueue%2Fpayments');
    const apiCall = await send('GET', '/admin/queues/api/queues');
    expect(apiCall.status).toBe(401);
    expect(((await apiCall.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    const forged = await send('GET', '/admin/queues/api/queues', { cookie: 'loanops_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(forged.status).toBe(401);
    const form = await send('GET', '/admin/sign-in');
    expect(form.status).toBe(200);
    expect(form.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await form.text()).toContain('name="password"');
  });

  it('signs in with an HttpOnly SameSite=Strict cookie, refuses a wrong password and roles without access', async () => {
    const wrong = await send('POST', '/admin/sign-in', { form: { email: ADMIN.email, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('The e-mail or password is wrong.');

    const finance = await send('POST', '/admin/sign-in', { form: FINANCE });
    expect(finance.status).toBe(403);
    expect(finance.headers.get('set-cookie')).toBeNull();

    const response = await send('POST', '/admin/sign-in', { form: { ...ADMIN, next: 'https://evil.example/steal' } });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/queues');
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/admin/i);
    expect(cookie).not.toMatch(/Secure/i);
    const session = /^loanops_console=([^;]+)/.exec(cookie)?.[1] ?? '';
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Redis holds a hash of the id, never the id itself.
    expect(await redis.redis.keys(`*${session}*`)).toEqual([]);

    const queues = await send('GET', '/admin/queues/api/queues', { cookie: `loanops_console=${session}` });
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((queue) => queue.name).sort()).toEqual([...QUEUE_NAMES].sort());
    expect(body.queues.every((queue) => !queue.readOnlyMode)).toBe(true);
  });

  it('marks the cookie Secure in production', async () => {
    const secure = await startTestApi(database, redis.queues, { queueConsole: { sessionTtlSeconds: 600, secureCookie: true } });
    try {
      const response = await fetch(`${secure.url}/admin/sign-in`, {
        method: 'POST',
        headers: { origin: secure.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(OPS).toString(),
        redirect: 'manual',
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    } finally {
      await secure.close();
    }
  });

  it('refuses cross-site writes: sign-in, pause and sign-out need the console origin', async () => {
    for (const options of [{ origin: 'https://evil.example' }, { origin: null }, { origin: 'null' }, { origin: null, site: 'cross-site' }, { site: 'same-site' }]) {
      const response = await send('POST', '/admin/sign-in', { ...options, form: ADMIN });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('CROSS_SITE_REQUEST');
      expect(response.headers.get('set-cookie')).toBeNull();
    }
    const cookie = await signIn(ADMIN);
    for (const options of [{ origin: 'https://evil.example' }, { origin: null }, { origin: api.url, site: 'cross-site' }]) {
      const response = await send('PUT', '/admin/queues/api/queues/edits/pause', { cookie, ...options });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('CROSS_SITE_REQUEST');
    }
    expect(await isPaused('edits')).toBe(false);
    const signOut = await send('POST', '/admin/sign-out', { cookie, origin: 'https://evil.example' });
    expect(signOut.status).toBe(403);
    expect((await send('GET', '/admin/queues/api/queues', { cookie })).status).toBe(200);
    // From the console's own page (same origin) the same pause goes through.
    const sameSite = await send('PUT', '/admin/queues/api/queues/edits/pause', { cookie, origin: null, site: 'same-origin' });
    expect(sameSite.status).toBe(200);
    expect(await isPaused('edits')).toBe(true);
    const resume = await send('PUT', '/admin/queues/api/queues/edits/resume', { cookie });
    expect(resume.status).toBe(200);
    expect(await isPaused('edits')).toBe(false);
  });

  it("puts the board's pause through the kill switch (recorded and audited), and refuses what it does not offer", async () => {
    const cookie = await signIn(ADMIN);
    const pause = await send('PUT', '/admin/queues/api/queues/payments/pause', { cookie });
    expect(pause.status).toBe(200);
    expect(await isPaused('payments')).toBe(true);
    const admin = await database.db.selectFrom('users').select('id').where('email', '=', ADMIN.email).executeTakeFirstOrThrow();
    expect(await database.db.selectFrom('queue_controls').selectAll().where('queue_name', '=', 'payments').executeTakeFirst()).toMatchObject({
      paused: true,
      changed_by: `user:${admin.id} (admin)`,
    });
    const audit = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_type', '=', 'queue')
      .where('entity_id', '=', 'payments')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ action: 'QUEUE_PAUSED', actor_id: String(admin.id), actor_role: 'admin', metadata: { via: 'queue-console' } });

    const unknown = await send('PUT', '/admin/queues/api/queues/invoices/pause', { cookie });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain('"invoices"');

    for (const path of ['/admin/queues/api/queues/payments/empty', '/admin/queues/api/queues/payments/obliterate', '/admin/queues/api/queues/payments/concurrency']) {
      const refused = await send('PUT', path, { cookie });
      expect(refused.status).toBe(403);
    }
    expect((await send('POST', '/admin/queues/api/queues/payments/add', { cookie })).status).toBe(403);

    const retry = await send('PUT', '/admin/queues/api/queues/edits/retry/failed', { cookie });
    expect(retry.status).toBe(200);
    const retried = await waitFor(() =>
      database.db.selectFrom('audit_log').selectAll().where('action', '=', 'QUEUE_CONSOLE_ACTION').executeTakeFirst(),
    );
    expect(retried).toMatchObject({ entity_id: 'edits', actor_role: 'admin', metadata: { action: 'retry/failed' } });

    const resumeAll = await send('PUT', '/admin/queues/api/queues/resume', { cookie });
    expect(resumeAll.status).toBe(200);
    expect(await isPaused('payments')).toBe(false);
  });

  it('shows ops a read-only board and refuses their writes even when forged', async () => {
    const cookie = await signIn(OPS);
    const queues = await send('GET', '/admin/queues/api/queues', { cookie });
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: { readOnlyMode: boolean }[] };
    expect(body.queues.length).toBe(QUEUE_NAMES.length);
    expect(body.queues.every((queue) => queue.readOnlyMode)).toBe(true);
    for (const path of ['/admin/queues/api/queues/payments/pause', '/admin/queues/api/queues/pause', '/admin/queues/api/queues/payments/retry/failed', '/admin/queues/api/queues/payments/clean/completed']) {
      const response = await send('PUT', path, { cookie });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
    expect(await isPaused('payments')).toBe(false);
    expect(await database.db.selectFrom('audit_log').select('id').where('entity_type', '=', 'queue').where('actor_role', '=', 'ops').execute()).toEqual([]);
  });

  it('signs out for good, and drops the session of a user disabled since', async () => {
    const cookie = await signIn(OPS);
    const signOut = await send('POST', '/admin/sign-out', { cookie });
    expect(signOut.status).toBe(200);
    expect(signOut.headers.get('set-cookie')).toMatch(/loanops_console=;.*Expires=Thu, 01 Jan 1970/i);
    // The old cookie, replayed, no longer opens anything.
    expect((await send('GET', '/admin/queues/api/queues', { cookie })).status).toBe(401);

    // Signing in again from a browser that carries a session replaces it.
    const first = await signIn(OPS);
    const replaced = await send('POST', '/admin/sign-in', { cookie: first, form: OPS });
    expect(replaced.status).toBe(303);
    expect((await send('GET', '/admin/queues/api/queues', { cookie: first })).status).toBe(401);

    const again = await signIn(ADMIN);
    expect((await send('GET', '/admin/queues/api/queues', { cookie: again })).status).toBe(200);
    await database.db.updateTable('users').set({ disabled_at: new Date() }).where('email', '=', ADMIN.email).execute();
    try {
      expect((await send('GET', '/admin/queues/api/queues', { cookie: again })).status).toBe(401);
    } finally {
      await database.db.updateTable('users').set({ disabled_at: null }).where('email', '=', ADMIN.email).execute();
    }
  });

  it('locks an account out after repeated failures, as the token sign-in does', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 6; i += 1) {
      last = await send('POST', '/admin/sign-in', { form: { email: FINANCE.email, password: `wrong ${i}` } });
      if (last.status === 429) break;
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    const right = await send('POST', '/admin/sign-in', { form: FINANCE });
    expect(right.status).toBe(429);
  }, 30_000);

  it("answers the board's API 503 without Redis's own words when the queues' Redis is away", async () => {
    // Sessions on the shared Redis, the queues on one of the test's own that is then stopped.
    const own = await startOwnRedis();
    const connection = createRedis(own.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const queues = createQueues(connection, `console-down-${Date.now()}`);
    const other = await startTestApi(database, queues, {}, { redis: redis.redis });
    try {
      const signedIn = await fetch(`${other.url}/admin/sign-in`, {
        method: 'POST',
        headers: { origin: other.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...ADMIN, next: '/admin/queues' }).toString(),
        redirect: 'manual',
      });
      expect(signedIn.status).toBe(303);
      const cookie = /^(loanops_console=[^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')?.[1] ?? '';
      const up = await fetch(`${other.url}/admin/queues/api/queues`, { headers: { cookie } });
      expect(up.status).toBe(200);

      await own.stop();
      const down = await waitFor(async () => {
        const response = await fetch(`${other.url}/admin/queues/api/queues`, { headers: { cookie } });
        return response.status === 200 ? undefined : response;
      }, { what: 'the board to notice Redis is away' });
      expect(down.status).toBe(503);
      const text = await down.text();
      expect(text).toContain('Redis is not answering');
      expect(text).not.toContain(String(own.port));
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at .*\.js/);
    } finally {
      await other.close();
      await queues.close().catch(() => undefined);
      connection.disconnect();
      await own.destroy();
    }
  }, 60_000);

  it('leaves a board polling with an ended session out of the unauthorized-access alert, but not cookieless calls', async () => {
    const alerts: RecordedAlert[] = [];
    const watched = await startTestApi(database, redis.queues, { unauthorizedBurstPerMinute: 3 }, { alerts });
    try {
      const signedIn = await fetch(`${watched.url}/admin/sign-in`, {
        method: 'POST',
        headers: { origin: watched.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...OPS, next: '/admin/queues' }).toString(),
        redirect: 'manual',
      });
      const cookie = /^(loanops_console=[^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')?.[1] ?? '';
      expect((await fetch(`${watched.url}/admin/queues/api/queues`, { headers: { cookie } })).status).toBe(200);
      await fetch(`${watched.url}/admin/sign-out`, { method: 'POST', headers: { cookie, origin: watched.url } });

      // The tab left open keeps polling with its old cookie: refused every time, no alert.
      for (let i = 0; i < 6; i += 1) {
        expect((await fetch(`${watched.url}/admin/queues/api/queues`, { headers: { cookie } })).status).toBe(401);
      }
      expect(alerts.filter((alert) => alert.kind === 'unauthorized-burst')).toEqual([]);

      // The same calls without any session cookie still count.
      for (let i = 0; i < 6; i += 1) expect((await fetch(`${watched.url}/admin/queues/api/queues`)).status).toBe(401);
      await waitFor(() => alerts.some((alert) => alert.kind === 'unauthorized-burst'), { what: 'the unauthorized-access alert' });
    } finally {
      await watched.close();
    }
  });
});
