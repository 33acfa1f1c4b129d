import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedAlert {
  text: string;
  kind: string;
  details: Record<string, unknown>;
}

export interface AlertReceiver {
  url: string;
  received: ReceivedAlert[];
  ofKind(kind: string): ReceivedAlert[];
  close(): Promise<void>;
}

/** A local HTTP endpoint standing in for a Slack-compatible incoming webhook; it keeps what it is sent. */
export async function startAlertReceiver(): Promise<AlertReceiver> {
  const received: ReceivedAlert[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.headers['content-type']?.startsWith('application/json')) {
        received.push(JSON.parse(body) as ReceivedAlert);
        res.statusCode = 200;
        res.end('ok');
        return;
      }
      res.statusCode = 400;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/alerts`,
    received,
    ofKind: (kind) => received.filter((alert) => alert.kind === kind),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
