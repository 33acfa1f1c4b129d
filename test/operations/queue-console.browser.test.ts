import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '@loanops/auth';
import { startTestApi, type TestApi } from '../support/api.js';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/**
 * The queue console in a real headless Chromium (Debian's, installed by ensureChromium when
 * missing): sign in, see every queue, pause one as admin through Bull Board's own menu (and find
 * it paused in Redis and in Postgres), and as ops find no way to change anything, a forged call
 * from the page included.
 */
const browser = ensureChromium();
if (!browser.ok) process.stderr.write(`queue console browser tests skipped: ${browser.reason}\n`);

const ADMIN = { email: 'nisha@lender.in', password: 'browser admin pass 1' };
const OPS = { email: 'arjun@lender.in', password: 'browser ops pass 123' };
const QUEUES = ['payments', 'edits', 'dpd', 'escalation'];

describe.skipIf(!browser.ok)('the queue console in a browser', () => {
  let database: TestDatabase;
  let redis: TestRedis;
  let api: TestApi;
  const profiles: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = await createTestRedis();
    api = await startTestApi(database, redis.queues);
    const system = { type: 'system' as const, id: 'test' };
    await createUser(database.db, { ...ADMIN, displayName: 'Nisha', role: 'admin' }, system);
    await createUser(database.db, { ...OPS, displayName: 'Arjun', role: 'ops' }, system);
  });
  afterAll(async () => {
    await api.close();
    await redis.cleanup();
    await database.drop();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  });

  /** A fresh browser with an empty profile of its own. */
  async function openBrowser(): Promise<BrowserContext> {
    const profile = mkdtempSync(path.join(tmpdir(), 'loanops-chromium-'));
    profiles.push(profile);
    return chromium.launchPersistentContext(profile, {
      executablePath: browser.ok ? browser.path : '',
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 60_000,
    });
  }

  async function signIn(page: Page, user: { email: string; password: string }) {
    await page.goto(`${api.url}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await page.fill('#email', user.email);
    await page.fill('#password', user.password);
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.pathname.replace(/\/$/, '') === '/admin/queues');
    for (const queue of QUEUES) {
      await page.locator(`a[href="/admin/queues/queue/${queue}"]`).first().waitFor({ state: 'visible' });
    }
  }

  async function queueMenuItems(page: Page): Promise<string[]> {
    const trigger = page.locator('main button[aria-haspopup="menu"]');
    if ((await trigger.count()) === 0) return [];
    await trigger.first().click();
    const items = page.getByRole('menuitem');
    await items.first().waitFor({ state: 'visible' });
    const texts = (await items.allTextContents()).map((text) => text.trim());
    await page.keyboard.press('Escape');
    return texts;
  }

  it('lets admin sign in, see every queue and pause payments from the board', async () => {
    const context = await openBrowser();
    try {
      const page = await context.newPage();
      await signIn(page, ADMIN);
      await page.goto(`${api.url}/admin/queues/queue/payments`);
      await page.locator('main button[aria-haspopup="menu"]').first().click();
      await page.getByRole('menuitem', { name: 'Pause', exact: true }).click();
      const confirm = page.getByRole('button', { name: 'Confirm' });
      if (await confirm.isVisible({ timeout: 2_000 }).catch(() => false)) await confirm.click();

      await waitFor(() => redis.queues.get('payments').isPaused(), { what: 'payments paused in Redis' });
      const row = await database.db.selectFrom('queue_controls').selectAll().where('queue_name', '=', 'payments').executeTakeFirstOrThrow();
      expect(row.paused).toBe(true);
      const audit = await database.db
        .selectFrom('audit_log')
        .select(['action', 'actor_role', 'metadata'])
        .where('entity_type', '=', 'queue')
        .where('entity_id', '=', 'payments')
        .execute();
      expect(audit).toEqual([{ action: 'QUEUE_PAUSED', actor_role: 'admin', metadata: { via: 'queue-console' } }]);
      expect(await redis.queues.get('edits').isPaused()).toBe(false);

      // The board now offers to resume it.
      await page.reload();
      await waitFor(async () => (await queueMenuItems(page)).includes('Resume'), { what: 'the board to show payments paused' });
    } finally {
      await context.close();
    }
  });

  it('shows ops the queues read-only and refuses a write forged from the page', async () => {
    const context = await openBrowser();
    try {
      const page = await context.newPage();
      await signIn(page, OPS);
      await page.goto(`${api.url}/admin/queues/queue/payments`);
      await page.locator('a[href="/admin/queues/queue/payments?status=waiting"]').waitFor({ state: 'visible' });
      const items = await queueMenuItems(page);
      expect(items.filter((item) => /^(Pause|Resume|Empty|Obliterate|Add job)$/.test(item))).toEqual([]);

      const forged = await page.evaluate(async () => {
        const response = await fetch('/admin/queues/api/queues/payments/resume', { method: 'PUT' });
        return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
      });
      expect(forged.status).toBe(403);
      expect(forged.body.error?.code).toBe('FORBIDDEN');
      expect(await redis.queues.get('payments').isPaused()).toBe(true);

      // Signing out ends the session: the board asks for a sign-in again.
      await page.goto(`${api.url}/admin/sign-out`);
      await page.click('button[type=submit]');
      await page.getByText('Signed out').waitFor({ state: 'visible' });
      await page.goto(`${api.url}/admin/queues`);
      expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    } finally {
      await context.close();
    }
  });
});
