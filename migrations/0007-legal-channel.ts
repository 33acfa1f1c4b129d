import { sql, type Kysely } from 'kysely';

/**
 * The legal team's notifications take a channel of their own, `legal`, resolved when each is
 * delivered (LEGAL_NOTIFY_WEBHOOK_URL, else the log). Those escalation wrote before, still waiting
 * in the outbox, move to it so they reach the team's address too.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE notifications
      DROP CONSTRAINT notifications_channel_check,
      ADD CONSTRAINT notifications_channel_check CHECK (channel IN ('log', 'webhook', 'legal'));
    UPDATE notifications SET channel = 'legal'
    WHERE status = 'PENDING' AND kind = 'LEGAL_CASE_OPENED' AND recipient = 'legal-team' AND channel = 'log';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE notifications SET channel = 'log' WHERE channel = 'legal';
    ALTER TABLE notifications
      DROP CONSTRAINT notifications_channel_check,
      ADD CONSTRAINT notifications_channel_check CHECK (channel IN ('log', 'webhook'));
  `.execute(db);
}
