export { describeUrl } from './describe-url.js';
export { REDACTED_PATHS, coerceError, createLogger, type Logger, type LoggerSettings } from './logger.js';
export { createRedis, isRedisUnavailableError, redisProblem } from './redis.js';
export { onShutdownSignal, type ShutdownStep } from './shutdown.js';
export { closeServerGracefully } from './close-server.js';
export { MicroBatcher } from './micro-batcher.js';
export { startPeriodic, type Periodic } from './periodic.js';
export { retryUntilDone, type RetriedTask } from './retry-until-done.js';
