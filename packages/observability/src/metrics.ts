import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The product's Prometheus metrics, one registry per process. Counters are created here so that
 * every place that counts an event counts the same series.
 */
export interface Metrics {
  registry: Registry;
  guardTriggers: Counter<'route'>;
  authFailures: Counter<'reason'>;
  rateLimited: Counter<'scope'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'loanops_' });
  return {
    registry,
    guardTriggers: new Counter({
      name: 'loanops_financial_guard_triggers_total',
      help: 'Edits refused because they named a protected financial field',
      labelNames: ['route'],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'loanops_auth_failures_total',
      help: 'Requests refused as unauthenticated or forbidden, and failed sign-ins',
      labelNames: ['reason'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'loanops_rate_limited_total',
      help: 'Requests refused by a rate limit',
      labelNames: ['scope'],
      registers: [registry],
    }),
  };
}
