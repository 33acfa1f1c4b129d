export { ConfigError, envFlag, envInt, envUrl, loadConfigOrExit, parseEnv } from './env.js';
export {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  apiConfigSchema,
  cliConfigSchema,
  workerConfigSchema,
  type ApiConfig,
  type CliConfig,
  type WorkerConfig,
} from './schemas.js';
