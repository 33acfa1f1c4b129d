import { z } from 'zod';
import {
  DEFAULT_BUCKET_TABLE,
  DEFAULT_SCORE_WEIGHTS,
  bucketTableSchema,
  scoreWeightsSchema,
  type BucketTable,
  type ScoreWeights,
} from '@loanops/domain';
import { envFlag, envInt, envUrl } from './env.js';
import { envCron, envTimeZone } from './schedule.js';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/loanops';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const bucketTable = z
  .string()
  .optional()
  .transform((raw, ctx): BucketTable => {
    if (raw === undefined) return DEFAULT_BUCKET_TABLE;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. [{"name":"CURRENT","minDpd":0},…]' });
      return z.NEVER;
    }
    const result = bucketTableSchema.safeParse(parsed);
    if (!result.success) {
      ctx.addIssue({ code: 'custom', message: result.error.issues.map((issue) => issue.message).join(', ') });
      return z.NEVER;
    }
    return result.data;
  });

const scoreWeights = z
  .string()
  .optional()
  .transform((raw, ctx): ScoreWeights => {
    if (raw === undefined) return DEFAULT_SCORE_WEIGHTS;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"efficiency":40,"ptpKept":25,"cure":20,"rollForward":15}' });
      return z.NEVER;
    }
    const result = scoreWeightsSchema.safeParse(parsed);
    if (!result.success) {
      ctx.addIssue({
        code: 'custom',
        message: result.error.issues.map((issue) => [issue.path.join('.'), issue.message].filter(Boolean).join(' ')).join(', '),
      });
      return z.NEVER;
    }
    return result.data;
  });

const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

/** What every process needs: where the record and the queues are, and how to log. */
const shared = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: envUrl(['postgres:', 'postgresql:'], DEFAULT_DATABASE_URL),
  DATABASE_POOL_MAX: envInt(10, 1, 200),
  REDIS_URL: envUrl(['redis:', 'rediss:'], DEFAULT_REDIS_URL),
  QUEUE_PREFIX: z
    .string()
    .regex(/^(\{[a-z0-9_-]{1,40}\}|[a-z][a-z0-9_-]{0,40})$/, 'must be lower-case letters, digits, _ - (or one {hash-tag})')
    .default('loanops'),
  BUCKET_TABLE: bucketTable,
  CRON_ENABLED: envFlag(true),
  ESCALATION_ENABLED: envFlag(true),
  SCORING_ENABLED: envFlag(true),
  REMINDERS_ENABLED: envFlag(true),
  /** Borrowers per chunk of a DPD run (a chunk is one transaction; all of a borrower's loans share one). */
  DPD_CHUNK_BORROWERS: envInt(5_000, 1, 1_000_000),
  /** Slack-compatible webhook for critical alerts; alerts are always logged as well. */
  ALERT_WEBHOOK_URL: z
    .string()
    .refine((value) => {
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'must be an http:// or https:// URL')
    .optional(),
  /** Each kind of alert is sent at most once per this many ms (the rest are counted). */
  ALERT_THROTTLE_MS: envInt(300_000, 0, 86_400_000),
  /**
   * When set, /metrics (API and worker) answers only to `Authorization: Bearer <token>`. Required
   * with NODE_ENV=production wherever /metrics is served: its queue depths and counts of payments
   * and failures are the lender's business volumes.
   */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How often each process probes Postgres (one alert when it is lost, one when it is back). */
  DB_PROBE_INTERVAL_MS: envInt(5_000, 100, 600_000),
  /** On SIGTERM/SIGINT: how long in-flight requests or active jobs get before the process gives up. */
  SHUTDOWN_TIMEOUT_MS: envInt(30_000, 1_000, 600_000),
  /** How often the queue kill switches recorded in Postgres are re-applied to Redis and to running workers (ms). */
  QUEUE_CONTROL_SYNC_MS: envInt(5_000, 100, 3_600_000),
};

const DEV_JWT_SECRET = 'loanops-development-secret-not-for-production-use';

export const apiConfigSchema = z
  .object({
    ...shared,
    PORT: envInt(3000, 1, 65_535),
    HOST: z.string().default('0.0.0.0'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    CORS_ORIGIN: z.string().default('http://localhost:3000'),
    BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/, 'must look like 100kb').default('100kb'),
    LOANS_PAGE_MAX: envInt(200, 1, 1_000),
    /** Payment requests arriving together are stored in one statement: at most this many… */
    INTAKE_BATCH_MAX: envInt(64, 1, 1_000),
    /** …and the first waits at most this long for others (ms). */
    INTAKE_BATCH_WAIT_MS: envInt(1, 0, 100),
    /** Access tokens from POST /v1/auth/token live this long. */
    TOKEN_TTL_MINUTES: envInt(60, 1, 24 * 60),
    /** Failed sign-ins are counted per account and per address over this window… */
    SIGNIN_WINDOW_MINUTES: envInt(15, 1, 24 * 60),
    /** …answers slow down from this many failures… */
    SIGNIN_SLOW_AFTER: envInt(3, 1, 1_000),
    /** …and sign-in is refused from this many per account / per address until the window ends. */
    SIGNIN_LOCK_AFTER: envInt(10, 1, 1_000),
    SIGNIN_LOCK_AFTER_ADDRESS: envInt(50, 1, 100_000),
    /** Requests per minute per client address and per signed-in user (0 turns a limit off). */
    RATE_LIMIT_PER_ADDRESS: envInt(30_000, 0, 10_000_000),
    RATE_LIMIT_PER_USER: envInt(30_000, 0, 10_000_000),
    /** More 401/403 answers than this within a minute raise the unauthorized-access alert. */
    UNAUTHORIZED_BURST_PER_MINUTE: envInt(20, 1, 1_000_000),
    /** A queue console (/admin/queues) session lasts this long after sign-in. */
    CONSOLE_SESSION_MINUTES: envInt(480, 5, 7 * 24 * 60),
    /** The console's public origin (e.g. https://ops.lender.in) when a proxy sits in front; writes must come from it. */
    CONSOLE_ORIGIN: z
      .string()
      .regex(/^https?:\/\/[^/\s]+$/, 'must be an origin like https://ops.example.com (no path)')
      .optional(),
  })
  .transform((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (env.JWT_SECRET === undefined) ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
      if (env.METRICS_TOKEN === undefined) {
        ctx.addIssue({ code: 'custom', path: ['METRICS_TOKEN'], message: 'is required when NODE_ENV=production (/metrics would be open)' });
      }
      if (env.JWT_SECRET === undefined || env.METRICS_TOKEN === undefined) return z.NEVER;
    }
    return { ...env, JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET };
  });
export type ApiConfig = z.output<typeof apiConfigSchema>;

export const workerConfigSchema = z.object({
  ...shared,
  WORKER_CONCURRENCY: envInt(8, 1, 256),
  /** Payments jobs in flight per worker process; they are posted together in batches. */
  PAYMENTS_CONCURRENCY: envInt(64, 1, 1_000),
  /** At most this many payments share one posting transaction… */
  POSTING_BATCH_MAX: envInt(50, 1, 500),
  /** …and the first of them waits at most this long for the others (ms). */
  POSTING_BATCH_WAIT_MS: envInt(2, 0, 1_000),
  /** A port serving this worker's /metrics (job durations and outcomes); 0 (the default) serves none. */
  WORKER_METRICS_PORT: envInt(0, 0, 65_535),
  /** An accepted payment still waiting this long is handed to the queue again. */
  PAYMENT_SWEEP_AFTER_MS: envInt(60_000, 1_000, 86_400_000),
  PAYMENT_SWEEP_INTERVAL_MS: envInt(15_000, 500, 3_600_000),
  /** How often a worker seals new audit entries into the hash chain (ms). */
  AUDIT_SEAL_INTERVAL_MS: envInt(1_000, 100, 3_600_000),
  /** BullMQ job lock: a worker that dies holding a job gives it back after about this long. */
  WORKER_LOCK_DURATION_MS: envInt(30_000, 1_000, 600_000),
  /** When the daily DPD run starts (cron, read in DPD_TIMEZONE); the run is for the IST date it starts on. */
  DPD_CRON: envCron('5 0 * * *'),
  DPD_TIMEZONE: envTimeZone('Asia/Kolkata'),
  /** DPD chunks processed at once per worker process. */
  DPD_CONCURRENCY: envInt(2, 1, 64),
  /** A loan at or past this DPD is escalated to the legal team. */
  ESCALATION_DPD: envInt(90, 1, 3_650),
  /** When reminders are put in the outbox (cron, IST; hourly by default, each once however often); they go out from 08:00 IST. */
  REMINDER_CRON: envCron('30 7-17 * * *'),
  /** Installment reminders go out this many days before the due date. */
  INSTALLMENT_REMINDER_DAYS_BEFORE: envInt(3, 1, 30),
  /** Where the webhook channel POSTs notifications (JSON); without it reminders go to the log channel. */
  NOTIFY_WEBHOOK_URL: httpUrl.optional(),
  /**
   * Where the legal team's notifications (a legal case opened) are POSTed, as the webhook channel
   * does; without it they go to the log. Read when each is delivered, so what is waiting goes where
   * this says now.
   */
  LEGAL_NOTIFY_WEBHOOK_URL: httpUrl.optional(),
  NOTIFY_WEBHOOK_TIMEOUT_MS: envInt(5_000, 100, 60_000),
  /** Attempts before a notification is DEAD, and the first wait between them (doubling, at most an hour). */
  NOTIFY_MAX_ATTEMPTS: envInt(5, 1, 50),
  NOTIFY_RETRY_BASE_MS: envInt(30_000, 0, 3_600_000),
  /** How often the outbox is checked for notifications to send (ms). */
  NOTIFY_POLL_MS: envInt(15_000, 100, 3_600_000),
  /** When the day's collector scores are computed (cron, IST), for the business date that just ended. */
  SCORING_CRON: envCron('30 1 * * *'),
  /** JSON weights of the collector score's four measures (README, "Collector scoring"). */
  SCORE_WEIGHTS: scoreWeights,
  /** When the weekly data-integrity check runs (cron, read in INTEGRITY_TIMEZONE): Fridays 06:00 IST. */
  INTEGRITY_CRON: envCron('0 6 * * 5'),
  INTEGRITY_TIMEZONE: envTimeZone('Asia/Kolkata'),
}).superRefine((env, ctx) => {
  if (env.NODE_ENV === 'production' && env.WORKER_METRICS_PORT !== 0 && env.METRICS_TOKEN === undefined) {
    ctx.addIssue({ code: 'custom', path: ['METRICS_TOKEN'], message: 'is required when NODE_ENV=production and WORKER_METRICS_PORT is set (/metrics would be open)' });
  }
});
export type WorkerConfig = z.output<typeof workerConfigSchema>;

/** Command-line tools (migrate, import, seed): the record only. */
export const cliConfigSchema = z.object({
  NODE_ENV: shared.NODE_ENV,
  LOG_LEVEL: shared.LOG_LEVEL,
  DATABASE_URL: shared.DATABASE_URL,
  DATABASE_POOL_MAX: shared.DATABASE_POOL_MAX,
  REDIS_URL: shared.REDIS_URL,
  BUCKET_TABLE: shared.BUCKET_TABLE,
});
export type CliConfig = z.output<typeof cliConfigSchema>;
