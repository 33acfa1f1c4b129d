import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { inject } from 'vitest';
import { createQueues, type Queues } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';

export interface TestRedis {
  url: string;
  redis: Redis;
  /** A queue prefix of this test file's own, so files never see each other's jobs. */
  prefix: string;
  queues: Queues;
  /** Closes the producers and deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

export async function createTestRedis(url: string = inject('redisUrl')): Promise<TestRedis> {
  const prefix = `loanops-test-${randomBytes(5).toString('hex')}`;
  const redis = createRedis(url);
  const queues = createQueues(redis, prefix);
  return {
    url,
    redis,
    prefix,
    queues,
    async cleanup() {
      await queues.close();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}
