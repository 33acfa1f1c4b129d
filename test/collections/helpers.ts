import { DEFAULT_BUCKET_TABLE, type BusinessDate } from '@loanops/domain';
import { acceptPayment, postPayment } from '@loanops/payments';
import type { TestDatabase } from '../support/db.js';

/** Test helpers of collections: collectors, payments posted on a chosen IST date, instants in IST. */

let seq = 0;

/** An instant written in IST, e.g. ist('2026-03-10', '07:59'). */
export function ist(date: BusinessDate, time: string): Date {
  return new Date(`${date}T${time}:00+05:30`);
}

export async function insertCollector(database: TestDatabase, name = 'Test Collector'): Promise<number> {
  seq += 1;
  const row = await database.db
    .insertInto('collectors')
    .values({ code: `C${process.pid}X${seq}`, name })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A payment accepted and posted as the API and the payments worker would, value-dated `valueDate`
 * and received at IST noon of `receivedOn` (the value date itself unless given: a later day is a
 * backdated payment).
 */
export async function payOn(
  database: TestDatabase,
  loanId: number,
  amountPaise: number,
  valueDate: BusinessDate,
  receivedOn: BusinessDate = valueDate,
): Promise<number> {
  seq += 1;
  const now = ist(receivedOn, '12:00');
  const utr = `UTR${String(process.pid).padStart(7, '0')}${String(seq).padStart(6, '0')}`;
  const accepted = await acceptPayment(database.db, { utr, loanId, amountPaise, valueDate, mode: 'UPI' }, { receivedBy: 'test', requestId: null, now });
  const outcome = await postPayment(database.db, accepted.intakeId, { bucketTable: DEFAULT_BUCKET_TABLE, now, actorId: 'test' });
  if (outcome.status !== 'POSTED') throw new Error(`payment not posted: ${JSON.stringify(outcome)}`);
  return outcome.paymentId;
}
