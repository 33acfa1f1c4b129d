import { Redis, type RedisOptions } from 'ioredis';
import { describeUrl } from './describe-url.js';

/**
 * A connection for BullMQ and rate limits. `maxRetriesPerRequest: null` is what BullMQ's blocking
 * workers need; commands wait for a reconnect instead of failing while Redis restarts.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(200 * attempt, 5_000),
    ...options,
  });
  // Errors surface on commands; the connection keeps retrying in the background.
  redis.on('error', () => undefined);
  return redis;
}

/** Null when Redis answers PING at `url`, else one sentence on what failed and how to start it. */
export async function redisProblem(url: string, timeoutMs = 3_000): Promise<string | null> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return (
      `Redis did not answer at ${describeUrl(url)} (${reason}); start it ` +
      '(redis-server --daemonize yes --port 6379) or run `docker compose up -d redis`, or point REDIS_URL at a running one.'
    );
  } finally {
    redis.disconnect();
  }
}

/** Redis is down or unreachable (as ioredis reports it with no offline queue or limited retries). */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  return /enableOfflineQueue options is false|Connection is closed|Reached the max retries per request limit/i.test(error.message);
}
