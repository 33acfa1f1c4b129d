import type { Migration } from 'kysely';
import * as coreSchema from './0001-core-schema.js';

/** Every migration, in order. A new file is added here as well as in this folder. */
export const migrations: Record<string, Migration> = {
  '0001-core-schema': coreSchema,
};
