import type { Logger } from 'pino';

/** The critical alerts (the old system's list): each is throttled on its own. */
export type AlertKind =
  | 'job-failed'
  | 'dpd-run-failed'
  | 'payment-processing-error'
  | 'database-connection-lost'
  | 'database-connection-restored'
  | 'unauthorized-burst'
  | 'financial-guard-triggered'
  | 'integrity-findings';

export interface AlertSink {
  send(alert: { kind: AlertKind; message: string; details: Record<string, unknown>; suppressed: number }): Promise<void>;
}

export interface Alerter {
  alert(kind: AlertKind, message: string, details?: Record<string, unknown>): void;
  /** Waits for alerts being sent. */
  flush(): Promise<void>;
}

/** Logs every alert that is sent, at error level. */
export function logSink(logger: Logger): AlertSink {
  return {
    async send(alert) {
      logger.error({ alert: alert.kind, suppressed: alert.suppressed, ...alert.details }, `ALERT ${alert.kind}: ${alert.message}`);
    },
  };
}

/** Posts Slack-compatible JSON (`{ text }` plus the details) to a webhook, with a timeout. */
export function webhookSink(url: string, timeoutMs = 5_000): AlertSink {
  return {
    async send(alert) {
      const suppressed = alert.suppressed > 0 ? ` (${alert.suppressed} more since the last alert)` : '';
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `[LoanOps] ${alert.kind}: ${alert.message}${suppressed}`, kind: alert.kind, details: alert.details }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`alert webhook answered ${response.status}`);
    },
  };
}

/**
 * Kinds raised once per change of state (lost, then restored): never throttled, or a second outage
 * soon after a first would go unreported while the last message sent says "restored".
 */
const UNTHROTTLED: ReadonlySet<AlertKind> = new Set(['database-connection-lost', 'database-connection-restored']);

/**
 * Sends each kind of alert at most once per `throttleMs` (but those of UNTHROTTLED); the ones in
 * between are counted and the count goes with the next one sent. A sink that fails is logged,
 * never thrown to the caller.
 */
export function createAlerter(options: { sinks: AlertSink[]; logger: Logger; throttleMs: number; now?: () => number }): Alerter {
  const now = options.now ?? Date.now;
  const lastSent = new Map<AlertKind, number>();
  const suppressed = new Map<AlertKind, number>();
  const inFlight = new Set<Promise<void>>();
  return {
    alert(kind, message, details = {}) {
      const last = lastSent.get(kind);
      if (last !== undefined && now() - last < options.throttleMs && !UNTHROTTLED.has(kind)) {
        suppressed.set(kind, (suppressed.get(kind) ?? 0) + 1);
        return;
      }
      lastSent.set(kind, now());
      const count = suppressed.get(kind) ?? 0;
      suppressed.set(kind, 0);
      for (const sink of options.sinks) {
        const sending = sink
          .send({ kind, message, details, suppressed: count })
          .catch((error: unknown) => options.logger.warn({ alert: kind, err: error }, 'an alert could not be sent'))
          .finally(() => inFlight.delete(sending));
        inFlight.add(sending);
      }
    },
    async flush() {
      await Promise.all(inFlight);
    },
  };
}
