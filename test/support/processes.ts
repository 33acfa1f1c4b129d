import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './own-redis.js';
import { TEST_JWT_SECRET } from './api.js';
import { waitFor } from './wait.js';

export interface AppProcess {
  child: ChildProcess;
  /** What the process wrote to stderr (for failure messages). */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends SIGKILL if it is still running (cleanup). */
  kill(): Promise<void>;
}

function track(child: ChildProcess): AppProcess {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => stderr,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The real API entry point (apps/api/src/main.ts) as a child process on a free port, once /readyz answers. */
export async function spawnApiProcess(env: Record<string, string>): Promise<AppProcess & { url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'warn', JWT_SECRET: TEST_JWT_SECRET, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const app = track(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}: ${app.stderr()}`);
        return (await fetch(`${url}/readyz`)).status === 200;
      },
      { what: 'the API process to be ready', timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (error) {
    await app.kill();
    throw error;
  }
  return { ...app, url };
}

/** The real worker entry point (apps/worker/src/main.ts) as a child process. */
export function spawnWorker(env: Record<string, string>, queues = 'payments'): AppProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts', '--queues', queues], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return track(child);
}
