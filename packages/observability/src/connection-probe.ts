import type { Logger } from 'pino';
import type { AlertKind, Alerter } from './alerts.js';
import type { Metrics } from './metrics.js';

export interface ConnectionProbeOptions {
  /** Names the dependency in logs, alerts and `loanops_dependency_up`. */
  dependency: string;
  /** Resolves when the dependency answers; rejects (or takes longer than timeoutMs) when it does not. */
  check: () => Promise<unknown>;
  intervalMs: number;
  timeoutMs: number;
  alerter: Alerter;
  logger: Logger;
  metrics?: Metrics;
  lostKind?: AlertKind;
  restoredKind?: AlertKind;
}

export interface ConnectionProbe {
  /** True until a probe fails, then false until one succeeds. */
  readonly up: boolean;
  stop(): Promise<void>;
}

/**
 * Probes a dependency every `intervalMs`: the first failed probe raises one "lost" alert, the first
 * good one after it one "restored" alert. Probes never overlap; a probe slower than `timeoutMs`
 * counts as failed.
 */
export function startConnectionProbe(options: ConnectionProbeOptions): ConnectionProbe {
  const lostKind = options.lostKind ?? 'database-connection-lost';
  const restoredKind = options.restoredKind ?? 'database-connection-restored';
  let up = true;
  let downSince: number | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  options.metrics?.dependencyUp.set({ dependency: options.dependency }, 1);

  const probeOnce = async () => {
    let failure: unknown = null;
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        options.check(),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
        }),
      ]);
    } catch (error) {
      failure = error;
    } finally {
      clearTimeout(timeout);
    }
    if (stopped) return;
    if (failure !== null && up) {
      up = false;
      downSince = Date.now();
      options.metrics?.dependencyUp.set({ dependency: options.dependency }, 0);
      const reason = failure instanceof Error ? failure.message : String(failure);
      options.alerter.alert(lostKind, `${options.dependency} connection lost: ${reason}`, { dependency: options.dependency });
    } else if (failure === null && !up) {
      up = true;
      const downMs = downSince === null ? 0 : Date.now() - downSince;
      downSince = null;
      options.metrics?.dependencyUp.set({ dependency: options.dependency }, 1);
      options.alerter.alert(restoredKind, `${options.dependency} connection restored after ${Math.round(downMs / 1000)} s`, {
        dependency: options.dependency,
        downMs,
      });
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = probeOnce()
        .catch((error: unknown) => options.logger.warn({ err: error, dependency: options.dependency }, 'connection probe failed'))
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();

  return {
    get up() {
      return up;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
