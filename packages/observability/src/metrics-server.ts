import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Serves the registry in Prometheus' text format. With a token, only to `Authorization: Bearer
 * <token>` (401 otherwise); `collect` runs first (e.g. to read queue depths) and may not throw.
 */
export function metricsHandler(registry: Registry, options: { token?: string | undefined; collect?: () => Promise<void> } = {}) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (options.token !== undefined && !tokenMatches(req.headers.authorization, options.token)) {
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', 'Bearer');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'metrics need the METRICS_TOKEN as a Bearer token' } }));
      return;
    }
    void (async () => {
      try {
        await options.collect?.();
        const body = await registry.metrics();
        res.statusCode = 200;
        res.setHeader('content-type', registry.contentType);
        res.end(body);
      } catch {
        res.statusCode = 500;
        res.end('metrics could not be collected\n');
      }
    })();
  };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** A small HTTP server answering GET /metrics (workers, when WORKER_METRICS_PORT is set). */
export async function startMetricsServer(
  registry: Registry,
  options: { port: number; host?: string; token?: string | undefined },
): Promise<MetricsServer> {
  const handle = metricsHandler(registry, { token: options.token });
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      handle(req, res);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
