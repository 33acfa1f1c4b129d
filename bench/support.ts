import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';

/** Shared pieces of the benchmark scripts: scratch databases, child processes, percentiles, floors. */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Drops and recreates a scratch database on the server of `serverUrl`; returns its URL. */
export async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Runs one of the product's entry points as a child process (as in production). */
export function startProcess(script: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Peak resident set size of a running process, from /proc (Linux), in MB; null elsewhere. */
export async function peakRssMb(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU seconds a process has used so far (user + system), from /proc (Linux); null elsewhere. */
export async function cpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const { readFile } = await import('node:fs/promises');
    // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine so far (every core, idle and iowait left out); null off Linux. */
export async function machineBusySeconds(): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const [, ...ticks] = ((await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
    const busy = ticks.reduce((sum, n, index) => (index === 3 || index === 4 ? sum : sum + (n ?? 0)), 0);
    return busy / clockTicks();
  } catch {
    return null;
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('benchmark step timed out');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toLocaleString('en-IN', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';

/** Wall time of `work` in seconds, with what it returned. */
export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { seconds: (performance.now() - started) / 1000, result };
}

/**
 * A floor: the least work a benchmarked step must do, written by hand in SQL over the same book,
 * timed on one connection. Only `work` is timed; `prepare` (scratch tables, copies) and `cleanUp`
 * are not. With `rollBack` all three run in one transaction that is rolled back, so the book is left
 * as it was (the floor's commit is then not timed, which only lowers the floor).
 */
export interface Floor<DB, T> {
  prepare?: (conn: Kysely<DB>) => Promise<void>;
  work: (conn: Kysely<DB>) => Promise<T>;
  cleanUp?: (conn: Kysely<DB>) => Promise<void>;
  rollBack?: boolean;
}

export async function measureFloor<DB, T>(db: Kysely<DB>, floor: Floor<DB, T>): Promise<{ seconds: number; result: T }> {
  return db.connection().execute(async (conn) => {
    if (floor.rollBack) await sql`BEGIN`.execute(conn);
    try {
      await floor.prepare?.(conn);
      return await timed(() => floor.work(conn));
    } finally {
      try {
        await floor.cleanUp?.(conn);
      } finally {
        if (floor.rollBack) await sql`ROLLBACK`.execute(conn);
      }
    }
  });
}

/** A duration for a table cell: milliseconds under a second, else seconds. */
export function duration(seconds: number): string {
  if (seconds < 0.01) return `${fmt(seconds * 1000, 1)} ms`;
  if (seconds < 1) return `${fmt(seconds * 1000)} ms`;
  return `${fmt(seconds, 2)} s`;
}

export interface BesideFloor {
  step: string;
  seconds: number;
  /** Null for a row without a floor of its own (a part of the step above it). */
  floorSeconds: number | null;
  /** The table's further cells, in the order of its further headers. */
  cells: readonly string[];
}

/**
 * Prints steps beside their floors as a Markdown table, a row as soon as each is measured:
 * `step | wall time | floor (same run) | ratio | …` (ratio = wall time / floor; both blank for a
 * row without a floor).
 */
export function floorTable(furtherHeaders: readonly string[], write: (text: string) => void): (row: BesideFloor) => void {
  write(`| step | wall time | floor (same run) | ratio | ${furtherHeaders.join(' | ')} |`);
  write(`| --- | ---: | ---: | ---: | ${furtherHeaders.map(() => '---').join(' | ')} |`);
  return (row) => {
    const floor = row.floorSeconds === null ? '' : duration(row.floorSeconds);
    const ratio = row.floorSeconds === null ? '' : fmt(row.seconds / row.floorSeconds, 2);
    write(`| ${row.step} | ${duration(row.seconds)} | ${floor} | ${ratio} | ${row.cells.join(' | ')} |`);
  };
}
