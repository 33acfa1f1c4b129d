import { sql, type Transaction } from 'kysely';

/**
 * Dates what the rest of the transaction changes in the book's date-keyed history (the allocation
 * history written by the triggers of migrations/0009-allocation-history.ts) on `businessDate`
 * (YYYY-MM-DD) instead of the IST date of the transaction's start. Transaction-local: it ends with
 * the transaction, and a pooled connection never carries it to the next one.
 */
export async function setTransactionBusinessDate<DB>(trx: Transaction<DB>, businessDate: string): Promise<void> {
  await sql`SELECT set_config('loanops.business_date', ${businessDate}, true)`.execute(trx);
}
