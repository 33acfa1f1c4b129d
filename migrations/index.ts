import type { Migration } from 'kysely';
import * as coreSchema from './0001-core-schema.js';
import * as dpd from './0002-dpd.js';
import * as collections from './0003-collections.js';
import * as reports from './0005-reports.js';
import * as statementReferences from './0006-statement-references.js';
import * as legalChannel from './0007-legal-channel.js';
import * as utrMatchKeys from './0008-utr-match-keys.js';
import * as allocationHistory from './0009-allocation-history.js';

/** Every migration, in order. A new file is added here as well as in this folder. */
export const migrations: Record<string, Migration> = {
  '0001-core-schema': coreSchema,
  '0002-dpd': dpd,
  '0003-collections': collections,
  '0005-reports': reports,
  '0006-statement-references': statementReferences,
  '0007-legal-channel': legalChannel,
  '0008-utr-match-keys': utrMatchKeys,
  '0009-allocation-history': allocationHistory,
};
