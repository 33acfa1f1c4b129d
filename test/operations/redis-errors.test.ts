import { describe, expect, it } from 'vitest';
import { createRedis, isRedisUnavailableError } from '@loanops/runtime';
import { startOwnRedis } from '../support/own-redis.js';
import { waitFor } from '../support/wait.js';

describe('isRedisUnavailableError', () => {
  it('recognises what ioredis throws while Redis is down, and nothing else', async () => {
    const own = await startOwnRedis();
    const strict = createRedis(own.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    try {
      await waitFor(() => strict.status === 'ready', { what: 'the client to connect' });
      expect(await strict.ping()).toBe('PONG');
      await own.stop();
      const error = await strict.get('key').then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(Error);
      expect(isRedisUnavailableError(error)).toBe(true);
      expect(isRedisUnavailableError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
      expect(isRedisUnavailableError('Connection is closed.')).toBe(false);
    } finally {
      strict.disconnect();
      await own.stop();
    }
  });
});
