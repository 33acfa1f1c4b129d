import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The product's Prometheus metrics, one registry per process. Every series is created here so
 * that every place that counts an event counts the same series; a process exports the ones it
 * touches (the API: HTTP, intake, queue depth, DPD runs, guard, auth; a worker: jobs, postings).
 */
export interface Metrics {
  registry: Registry;
  guardTriggers: Counter<'route'>;
  authFailures: Counter<'reason'>;
  rateLimited: Counter<'scope'>;
  /** By route template (`/v1/loans/:id`, never the raw path), method and status. */
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Payment requests at intake: `accepted`, or `refused` with the error code. */
  paymentIntake: Counter<'outcome' | 'code'>;
  /** Postings by the payments worker: `posted`, `rejected` with the rule's code, or `error`. */
  paymentPostings: Counter<'outcome' | 'code'>;
  /** Time a job spent in its processor, per queue, job name and outcome (completed / failed). */
  jobDuration: Histogram<'queue' | 'job' | 'outcome'>;
  /** 1 while the dependency answers this process's probe, 0 while it does not. */
  dependencyUp: Gauge<'dependency'>;
  /** Jobs per queue and state, read from Redis when /metrics is scraped (the API). */
  queueJobs: Gauge<'queue' | 'state'>;
  /** DPD runs by status, read from job_runs when /metrics is scraped (the API). */
  dpdRuns: Gauge<'status'>;
  /** The last finished DPD run: its duration, and its loans scanned / DPD changed / bucket changes / escalations. */
  dpdLastRunSeconds: Gauge<'status'>;
  dpdLastRunCounts: Gauge<'count'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'loanops_' });
  const registers = [registry];
  return {
    registry,
    guardTriggers: new Counter({
      name: 'loanops_financial_guard_triggers_total',
      help: 'Edits refused because they named a protected financial field',
      labelNames: ['route'],
      registers,
    }),
    authFailures: new Counter({
      name: 'loanops_auth_failures_total',
      help: 'Requests refused as unauthenticated or forbidden, and failed sign-ins',
      labelNames: ['reason'],
      registers,
    }),
    rateLimited: new Counter({
      name: 'loanops_rate_limited_total',
      help: 'Requests refused by a rate limit',
      labelNames: ['scope'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'loanops_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    paymentIntake: new Counter({
      name: 'loanops_payment_intake_total',
      help: 'Payment requests at intake by outcome (accepted, refused) and error code',
      labelNames: ['outcome', 'code'],
      registers,
    }),
    paymentPostings: new Counter({
      name: 'loanops_payment_postings_total',
      help: 'Payments handled by the payments worker by outcome (posted, rejected, error) and code',
      labelNames: ['outcome', 'code'],
      registers,
    }),
    jobDuration: new Histogram({
      name: 'loanops_job_duration_seconds',
      help: 'Time jobs spent in their processor by queue, job name and outcome',
      labelNames: ['queue', 'job', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    dependencyUp: new Gauge({
      name: 'loanops_dependency_up',
      help: 'Whether a dependency answered the last probe (1) or not (0)',
      labelNames: ['dependency'],
      registers,
    }),
    queueJobs: new Gauge({
      name: 'loanops_queue_jobs',
      help: 'Jobs in each queue by state (waiting, active, delayed, failed, ...)',
      labelNames: ['queue', 'state'],
      registers,
    }),
    dpdRuns: new Gauge({ name: 'loanops_dpd_runs', help: 'DPD runs recorded, by status', labelNames: ['status'], registers }),
    dpdLastRunSeconds: new Gauge({
      name: 'loanops_dpd_last_run_duration_seconds',
      help: 'How long the last finished DPD run took, labelled with its status',
      labelNames: ['status'],
      registers,
    }),
    dpdLastRunCounts: new Gauge({
      name: 'loanops_dpd_last_run_count',
      help: 'Totals of the last finished DPD run (loans_scanned, dpd_changed, bucket_changes, escalations)',
      labelNames: ['count'],
      registers,
    }),
  };
}
