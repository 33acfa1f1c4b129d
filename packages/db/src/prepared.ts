import { createHash } from 'node:crypto';
import type pg from 'pg';

const MARKER = /^\/\*prepared:([a-z0-9-]{1,40})\*\//;
const PATCHED = Symbol('loanops-prepared');

/**
 * Hot-path statements start with a `/*prepared:name*\/` comment: on every connection of the pool
 * they are then sent as named prepared statements, parsed once per connection and, once Postgres
 * settles on a generic plan, planned once too. Kysely sends text and values only, so the name is
 * carried in the text; it is suffixed with a hash of the text so a changed statement never reuses
 * an old name. Only statements whose text never varies may carry the marker (no `in (…)` lists).
 */
export function preparedStatements(client: pg.PoolClient): void {
  const target = client as pg.PoolClient & { [PATCHED]?: true };
  if (target[PATCHED]) return;
  target[PATCHED] = true;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const names = new Map<string, string>();
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text === 'string' && callback === undefined && (values === undefined || Array.isArray(values))) {
      const match = MARKER.exec(text);
      if (match) {
        let name = names.get(text);
        if (name === undefined) {
          name = `${match[1]}-${createHash('sha1').update(text).digest('hex').slice(0, 10)}`;
          names.set(text, name);
        }
        return query({ name, text, values });
      }
    }
    return query(...args);
  };
}
