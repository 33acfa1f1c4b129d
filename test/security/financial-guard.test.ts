import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestApi, type RecordedAlert, type TestApi } from '../support/api.js';
import { insertLoan } from '../support/fixtures.js';
import { PROTECTED_EXAMPLES } from '../support/guard-examples.js';
import { startTestWorker } from '../support/worker.js';
import { waitFor } from '../support/wait.js';

let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let loanId: number;
const alerts: RecordedAlert[] = [];

interface ErrorBody {
  error: { code: string; details?: { fields?: string[] } | { path: string }[] };
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues, {}, { alerts });
  loanId = await insertLoan(database);
  await database.db.insertInto('collectors').values({ code: 'COLG1', name: 'Guard Collector' }).execute();
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

async function snapshot() {
  const loan = await database.db.selectFrom('loans').selectAll().where('id', '=', loanId).executeTakeFirstOrThrow();
  const edits = await sql<{ n: number }>`SELECT count(*)::int AS n FROM loan_edits`.execute(database.db);
  return { loan, edits: edits.rows[0]?.n };
}

const patch = (body: unknown, role: 'admin' | 'ops' = 'ops') => api.request('PATCH', `/v1/loans/${loanId}`, { role, body });

describe('the financial guard on PATCH /v1/loans/:id', () => {
  const spellings = (name: string) => {
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return [name, snake, name.toUpperCase()];
  };

  it.each(PROTECTED_EXAMPLES)('refuses %s alone, in any case, with 403 naming it, and applies nothing', async (field) => {
    for (const spelling of spellings(field)) {
      const before = await snapshot();
      const response = await patch({ [spelling]: 0 });
      expect(response.status).toBe(403);
      const body = response.body as ErrorBody;
      expect(body.error.code).toBe('FINANCIAL_FIELD_PROTECTED');
      expect((body.error.details as { fields: string[] }).fields).toEqual([spelling]);
      expect(await snapshot()).toEqual(before);
    }
  });

  it('refuses protected fields mixed with allowed ones, nested, and in arrays, naming all of them', async () => {
    const before = await snapshot();
    const response = await patch({
      notes: 'call after 6pm',
      borrower: { phone: '9876500011', Status: 'CLOSED' },
      tags: ['vip'],
      schedule: [{ due_on: '2026-01-01' }],
      DPD: 0,
    });
    expect(response.status).toBe(403);
    expect(((response.body as ErrorBody).error.details as { fields: string[] }).fields).toEqual([
      'borrower.Status',
      'schedule',
      'schedule[0].due_on',
      'DPD',
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it('audits, counts and alerts every refusal', async () => {
    const auditBefore = await database.db.selectFrom('audit_log').select('id').where('action', '=', 'FINANCIAL_GUARD_TRIGGERED').execute();
    alerts.length = 0;
    await patch({ principalPaise: 1 }, 'admin');
    const audit = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'FINANCIAL_GUARD_TRIGGERED')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect((await database.db.selectFrom('audit_log').select('id').where('action', '=', 'FINANCIAL_GUARD_TRIGGERED').execute()).length).toBe(
      auditBefore.length + 1,
    );
    expect(audit).toMatchObject({ actor_id: 'user-admin', actor_role: 'admin', entity_type: 'loan', entity_id: String(loanId) });
    expect(audit.metadata).toMatchObject({ fields: ['principalPaise'] });
    expect(alerts).toMatchObject([{ kind: 'financial-guard-triggered' }]);
  });

  it('answers an unknown, unprotected field with 400', async () => {
    const response = await patch({ nickname: 'Ashu' });
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).error.code).toBe('VALIDATION_ERROR');
  });
});

describe('allowed edits', () => {
  it('are accepted with 202 and an editId, applied by the edits worker with before and after audited', async () => {
    const worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['edits'] });
    try {
      const collector = await database.db.selectFrom('collectors').select('id').where('code', '=', 'COLG1').executeTakeFirstOrThrow();
      const response = await patch({
        borrower: { phone: '+91 98765 00022', email: 'New@Mail.in', language: 'hi' },
        collectorId: collector.id,
        tags: ['promise-kept'],
        notes: 'prefers Hindi',
      });
      expect(response.status).toBe(202);
      const { editId } = response.body as { editId: string };
      expect(response.headers.get('location')).toBe(`/v1/loans/${loanId}/edits/${editId}`);
      const outcome = await waitFor(
        async () => {
          const view = (await api.request('GET', `/v1/loans/${loanId}/edits/${editId}`)).body as { status: string };
          return view.status === 'RECEIVED' ? undefined : view;
        },
        { what: 'the edit to be applied' },
      );
      expect(outcome).toMatchObject({ status: 'APPLIED' });
      const loan = (await api.request('GET', `/v1/loans/${loanId}`)).body as {
        collectorId: number;
        tags: string[];
        notes: string;
        borrower: { phone: string; email: string; language: string };
      };
      expect(loan).toMatchObject({ collectorId: collector.id, tags: ['promise-kept'], notes: 'prefers Hindi' });
      expect(loan.borrower).toMatchObject({ phone: '+919876500022', email: 'new@mail.in', language: 'hi' });
      const audit = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'LOAN_EDITED').executeTakeFirstOrThrow();
      expect(audit.before).toMatchObject({ collectorId: null, tags: [], notes: null, 'borrower.language': 'en' });
      expect(audit.after).toMatchObject({ collectorId: collector.id, tags: ['promise-kept'], 'borrower.phone': '+919876500022' });
      expect(audit.metadata).toMatchObject({ editId, requestedBy: 'ops:user-ops' });
    } finally {
      await worker.closeAll();
    }
  });

  it('are rejected with a code when the collector does not exist', async () => {
    const worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['edits'] });
    try {
      const response = await patch({ collectorId: 424_242 });
      expect(response.status).toBe(202);
      const { editId } = response.body as { editId: string };
      const outcome = await waitFor(async () => {
        const view = (await api.request('GET', `/v1/loans/${loanId}/edits/${editId}`)).body as { status: string };
        return view.status === 'RECEIVED' ? undefined : view;
      });
      expect(outcome).toMatchObject({ status: 'REJECTED', code: 'COLLECTOR_NOT_FOUND' });
    } finally {
      await worker.closeAll();
    }
  });

  it('answer 404 for a loan that does not exist and refuse finance', async () => {
    expect((await api.request('PATCH', '/v1/loans/999999', { role: 'ops', body: { notes: 'x' } })).status).toBe(404);
    expect((await api.request('PATCH', `/v1/loans/${loanId}`, { role: 'finance', body: { notes: 'x' } })).status).toBe(403);
  });
});
