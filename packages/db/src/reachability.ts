import pg from 'pg';
import { describeUrl } from '@loanops/runtime';

/**
 * Checks that Postgres answers at `databaseUrl`. Returns null when it does, else one sentence
 * saying what failed, where it looked and how to start it.
 */
export async function postgresProblem(databaseUrl: string, timeoutMs = 3_000): Promise<string | null> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return (
      `Postgres did not answer at ${describeUrl(databaseUrl)} (${reason}); start it ` +
      `(on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or run ` +
      '`docker compose up -d postgres`, or point DATABASE_URL at a running one.'
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
