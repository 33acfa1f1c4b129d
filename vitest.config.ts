import { defineConfig } from 'vitest/config';

const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

/**
 * Every test runs with the process in UTC; the date-sensitive ones (domain rules and anything
 * named *.dates.test.ts) run again in America/Los_Angeles, so no result may lean on the
 * server's time zone.
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { ...shared, name: 'tz-utc', include: ['test/**/*.test.ts'], env: { TZ: 'UTC' } },
      },
      {
        extends: true,
        test: {
          ...shared,
          name: 'tz-los-angeles',
          include: ['test/domain/**/*.test.ts', 'test/**/*.dates.test.ts'],
          env: { TZ: 'America/Los_Angeles' },
        },
      },
    ],
  },
});
