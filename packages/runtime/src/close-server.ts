import type { Server } from 'node:http';

/**
 * Stops accepting connections and resolves once every request in flight has been answered.
 * Keep-alive connections are closed as soon as they are idle (a client holding one open would
 * otherwise keep the server up), and every response sent meanwhile says `Connection: close`.
 */
export function closeServerGracefully(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.on('request', (_req, res) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    });
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close((error) => {
      clearInterval(sweep);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
