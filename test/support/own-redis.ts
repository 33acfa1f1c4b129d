import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

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

export interface OwnRedis {
  url: string;
  port: number;
  /** Empties it, as a restart without persistence would. */
  flushAll(): Promise<void>;
  /** Kills it at once (SIGKILL), as a crash would; with an append-only file its data comes back on start. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its append-only directory, if any. */
  destroy(): Promise<void>;
}

export interface OwnRedisOptions {
  /** Keep data in an append-only file (fsync every second) in a temporary directory, so a restart keeps it. */
  appendOnly?: boolean;
}

/**
 * A redis-server of the test's own on a free port, never the shared one: tests that empty or
 * stop Redis do it here.
 */
export async function startOwnRedis(options: OwnRedisOptions = {}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = options.appendOnly ? mkdtempSync(path.join(tmpdir(), 'loanops-redis-')) : null;
  const persistence = dir ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir] : ['--appendonly', 'no'];
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const ping = async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  };
  const own: OwnRedis = {
    url,
    port,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
        stdio: 'ignore',
      });
      await waitFor(ping, { what: `redis-server on ${port}`, timeoutMs: 10_000 });
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
      child = null;
    },
    async destroy() {
      await own.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    async flushAll() {
      const client = new Redis(url);
      await client.flushall();
      await client.quit();
    },
  };
  await own.start();
  return own;
}
