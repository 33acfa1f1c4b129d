import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import type { Role } from '@loanops/db';
import { createApp, type AppDeps } from '../../apps/api/src/app.js';
import { signAccessToken } from '@loanops/auth';
import type { TestDatabase } from './db.js';
import { createAlerter, createMetrics, type AlertSink } from '@loanops/observability';
import type { Queues } from '@loanops/queues';
import type { Redis } from 'ioredis';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestApi {
  url: string;
  /** fetch against the API with a token for the role (or none with role null). */
  request(
    method: string,
    path: string,
    options?: { role?: Role | null; sub?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  token(role: Role, sub?: string): Promise<string>;
  close(): Promise<void>;
}

/** The API on an ephemeral port over the test file's database. */
/** Alerts raised by a test API, for tests that check them. */
export interface RecordedAlert {
  kind: string;
  message: string;
  details: Record<string, unknown>;
}

export async function startTestApi(
  database: TestDatabase,
  queues: Queues,
  overrides: Partial<AppDeps> = {},
  options: { redis?: Redis; alerts?: RecordedAlert[] } = {},
): Promise<TestApi> {
  const logger = pino({ level: 'silent' });
  const recorder: AlertSink = {
    async send(alert) {
      options.alerts?.push({ kind: alert.kind, message: alert.message, details: alert.details });
    },
  };
  const app = createApp({
    db: database.db,
    queues,
    redis: options.redis ?? queues.connection,
    metrics: createMetrics(),
    alerter: createAlerter({ sinks: [recorder], logger, throttleMs: 0 }),
    signIn: {
      tokenTtlSeconds: 600,
      windowSeconds: 60,
      slowAfter: 3,
      lockAfter: { account: 5, address: 50 },
      keyPrefix: `test-${Math.random().toString(36).slice(2)}`,
    },
    rateLimits: { perAddressPerMinute: 0, perUserPerMinute: 0, keyPrefix: `test-${Math.random().toString(36).slice(2)}` },
    unauthorizedBurstPerMinute: 1_000,
    logger,
    jwtSecret: TEST_JWT_SECRET,
    corsOrigin: 'http://localhost:5173',
    bodyLimit: '100kb',
    bucketTable: DEFAULT_BUCKET_TABLE,
    loansPageMax: 200,
    dpdChunkBorrowers: 2,
    ...overrides,
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const token = (role: Role, sub = role === 'collector' ? '1' : `user-${role}`) =>
    signAccessToken({ sub, role }, TEST_JWT_SECRET, 600);
  return {
    url,
    token,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const role = options.role === undefined ? 'admin' : options.role;
      if (role !== null) headers.authorization = `Bearer ${await token(role, options.sub)}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
