import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, businessToday, utrMatchKey } from '@loanops/domain';
import { INTEGRITY_CHECKS, runIntegrityCheck, type IntegrityCheck } from '@loanops/integrity';
import { DuplicateUtrError, acceptPayment, reversePayment } from '@loanops/payments';
import * as utrMatchKeys from '../../migrations/0008-utr-match-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan, istNoon, payLoan } from '../support/fixtures.js';

/**
 * Migration 0008: UTRs stored by earlier versions in another spelling (zero padding in front of
 * an all-digit reference) are re-keyed to utrMatchKey, so the unique indexes see one transfer as
 * one UTR; rows whose key another row already holds are left as stored, and the integrity check
 * names the posted payments among them.
 */
let database: TestDatabase;
const migration = () => database.db as Kysely<unknown>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
/** Any UTR as intake has stored it: 12 to 22 upper-case letters and digits. */
const storedUtr = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 12, maxLength: 22 });
/** Zero padding in front of digits, letters or both: where the key has work to do. */
const paddedUtr = fc
  .tuple(fc.nat(22), fc.oneof(digits(1, 22), storedUtr, fc.string({ unit: fc.constantFrom('0', '1', 'A'), minLength: 1, maxLength: 22 })))
  .map(([zeros, rest]) => ('0'.repeat(zeros) + rest).slice(-22))
  .filter((utr) => utr.length >= 12);

async function keyedInSql(values: readonly string[]): Promise<string[]> {
  const result = await sql<{ key: string }>`
    SELECT loanops_utr_match_key(v) AS key FROM unnest(${values}::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n`.execute(database.db);
  return result.rows.map((row) => row.key);
}

describe("the migration's key", () => {
  it.each([
    ['123456789012', '123456789012'],
    ['0123456789012', '123456789012'],
    ['0000123456789012', '123456789012'],
    ['0000000000123456789012', '123456789012'],
    ['001512345678', '001512345678'],
    ['0001512345678', '001512345678'],
    ['1234567890123', '1234567890123'],
    ['0001234567890123', '1234567890123'],
    ['1234567890123456789012', '1234567890123456789012'],
    ['000000000000', '000000000000'],
    ['0000000000000', '000000000000'],
    ['0000000000000000000000', '000000000000'],
    ['000000000001', '000000000001'],
    ['0000000000001', '000000000001'],
    ['608123456789000', '608123456789000'],
    ['SBIN126091234567', 'SBIN126091234567'],
    ['00SBIN126091234567', '00SBIN126091234567'],
    ['0000000000000000000A', '0000000000000000000A'],
    ['A00000000000', 'A00000000000'],
  ])('%s → %s, as utrMatchKey', async (utr, key) => {
    expect(utrMatchKey(utr)).toBe(key);
    expect(await keyedInSql([utr])).toEqual([key]);
  });

  it('is utrMatchKey for every UTR as stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(storedUtr, paddedUtr, digits(12, 22)), { minLength: 1, maxLength: 200 }), async (utrs) => {
        expect(await keyedInSql(utrs)).toEqual(utrs.map(utrMatchKey));
      }),
      { numRuns: 200 },
    );
  });
});

describe('migration 0008 on UTRs stored before the match key', () => {
  const today = businessToday();
  const now = istNoon(today);
  const loans = { l1: 0, l2: 0, l3: 0 };
  const paid: Record<string, number> = {};
  const intakes: Record<string, string> = {};
  const lines: Record<string, number> = {};
  const utrOfPayment = async (id: number) => (await database.db.selectFrom('payments').select('utr').where('id', '=', id).executeTakeFirstOrThrow()).utr;
  const utrOfIntake = async (id: string) => (await database.db.selectFrom('payment_intake').select('utr').where('id', '=', id).executeTakeFirstOrThrow()).utr;
  const utrOfLine = async (id: number) => (await database.db.selectFrom('bank_statement_lines').select('utr').where('id', '=', id).executeTakeFirstOrThrow()).utr;
  const intakeOf = async (paymentId: number) =>
    (await database.db.selectFrom('payment_intake').select('id').where('payment_id', '=', paymentId).executeTakeFirstOrThrow()).id;
  const accept = async (loanId: number, utr: string) =>
    (await acceptPayment(database.db, { utr, loanId, amountPaise: 10_000, valueDate: today, mode: 'IMPS' }, { receivedBy: 'finance:test', requestId: null, now })).intakeId;
  const check = () => runIntegrityCheck(database.db, { trigger: 'MANUAL', actor: { type: 'system', id: 'test' }, bucketTable: DEFAULT_BUCKET_TABLE });
  const only = (expected: Partial<Record<IntegrityCheck, number>>) =>
    Object.fromEntries(INTEGRITY_CHECKS.map((name) => [name, expected[name] ?? 0])) as Record<IntegrityCheck, number>;

  beforeAll(async () => {
    // The schema before 0008; what earlier versions stored is planted as they stored it (intake
    // took the UTR trimmed and upper-cased only).
    await utrMatchKeys.down(migration());
    loans.l1 = await insertLoan(database);
    loans.l2 = await insertLoan(database);
    loans.l3 = await insertLoan(database);
    const pay = async (name: string, loanId: number, utr: string) => {
      paid[name] = await payLoan(database, loanId, 10_000, today, utr);
    };
    // Alone under their key: re-keyed.
    await pay('padded', loans.l1, '0000608123456789');
    await pay('long', loans.l1, '0001234567890123');
    await pay('zeros', loans.l1, '0000000000000000');
    await pay('rrnZero', loans.l1, '0001512345678');
    // Nothing to do.
    await pay('letters', loans.l1, '00SBIN126091234567');
    await pay('plain', loans.l1, '608100000042');
    // One transfer posted twice, as the key and padded: both stay, both are flagged.
    await pay('twiceKey', loans.l2, '777788889999');
    await pay('twicePadded', loans.l3, '0000777788889999');
    // Posted twice, both padded (either alone would move): both stay, both are flagged.
    await pay('bothPaddedA', loans.l2, '0444455556666');
    await pay('bothPaddedB', loans.l3, '00000444455556666');
    // Posted twice, one since reversed: both stay (a reversed payment keeps its UTR), nothing flagged.
    await pay('reversed', loans.l2, '555566667777');
    await reversePayment(database.db, paid.reversed as number, {
      actor: { type: 'user', id: 'finance-1', role: 'finance' },
      requestId: null,
      reason: 'IMPS returned',
      bucketTable: DEFAULT_BUCKET_TABLE,
      now,
    });
    await pay('afterReversal', loans.l3, '00555566667777');
    // Intake only: a request still waiting, and a rejected one whose key a posted payment holds.
    intakes.waiting = await accept(loans.l1, '0000999900001111');
    intakes.rejected = await accept(loans.l1, '0000222233334444');
    await sql`UPDATE payment_intake SET status = 'REJECTED', reject_code = 'OVERPAYMENT', reject_message = 'planted', processed_at = now()
      WHERE id = ${intakes.rejected}`.execute(database.db);
    await pay('afterRejection', loans.l1, '222233334444');

    // Statement lines stored before their UTR was keyed (0006 copied it to the reference as it was).
    const statement = async () =>
      (
        await sql<{ id: number }>`
          INSERT INTO bank_statements (layout, from_date, to_date, lines, matched, amount_mismatch, in_bank_not_posted,
            posted_not_in_bank, bank_total_paise, posted_total_paise, imported_by)
          VALUES ('simple', ${today}, ${today}, 4, 0, 0, 0, 0, 40000, 0, 'user:finance-1') RETURNING id`.execute(database.db)
      ).rows[0]?.id as number;
    const line = async (name: string, statementId: number, row: number, utr: string | null) => {
      const stored = await sql<{ id: number }>`
        INSERT INTO bank_statement_lines (statement_id, row_no, value_date, reference, utr, amount_paise)
        VALUES (${statementId}, ${row}, ${today}, ${utr ?? 'INTEREST'}, ${utr}, 10000) RETURNING id`.execute(database.db);
      lines[name] = Number(stored.rows[0]?.id);
    };
    const s1 = await statement();
    const s2 = await statement();
    await line('padded', s1, 2, '0000608123456789');
    await line('twiceKey', s1, 3, '444455556666');
    await line('twicePadded', s1, 4, '000444455556666');
    await line('noUtr', s1, 5, null);
    await line('otherStatement', s2, 2, '0000444455556666');

    await utrMatchKeys.up(migration());
  });

  it('re-keys the payments and requests no other row shares a key with', async () => {
    const expected: Record<string, string> = {
      padded: '608123456789',
      long: '1234567890123',
      zeros: '000000000000',
      rrnZero: '001512345678',
      letters: '00SBIN126091234567',
      plain: '608100000042',
      afterRejection: '222233334444',
    };
    for (const [name, utr] of Object.entries(expected)) {
      expect({ name, utr: await utrOfPayment(paid[name] as number) }).toEqual({ name, utr });
      expect({ name, utr: await utrOfIntake(await intakeOf(paid[name] as number)) }).toEqual({ name, utr });
    }
    expect(await utrOfIntake(intakes.waiting as string)).toBe('999900001111');
    // A rejected request holds no UTR: its key is free to take, whoever holds it.
    expect(await utrOfIntake(intakes.rejected as string)).toBe('222233334444');
  });

  it('leaves rows that share a key with another as stored', async () => {
    const asStored: Record<string, string> = {
      twiceKey: '777788889999',
      twicePadded: '0000777788889999',
      bothPaddedA: '0444455556666',
      bothPaddedB: '00000444455556666',
      reversed: '555566667777',
      afterReversal: '00555566667777',
    };
    for (const [name, utr] of Object.entries(asStored)) {
      expect({ name, utr: await utrOfPayment(paid[name] as number) }).toEqual({ name, utr });
      expect({ name, utr: await utrOfIntake(await intakeOf(paid[name] as number)) }).toEqual({ name, utr });
    }
  });

  it("re-keys statement lines no other line of their statement shares a key with", async () => {
    expect(await utrOfLine(lines.padded as number)).toBe('608123456789');
    expect(await utrOfLine(lines.twiceKey as number)).toBe('444455556666');
    expect(await utrOfLine(lines.twicePadded as number)).toBe('000444455556666');
    expect(await utrOfLine(lines.noUtr as number)).toBeNull();
    expect(await utrOfLine(lines.otherStatement as number)).toBe('444455556666');
  });

  it('makes a re-keyed UTR a duplicate to intake, written either way', async () => {
    await expect(accept(loans.l1, '608123456789')).rejects.toBeInstanceOf(DuplicateUtrError);
    await expect(accept(loans.l1, '999900001111')).rejects.toBeInstanceOf(DuplicateUtrError);
  });

  it('leaves the transfers posted twice to the integrity check, which names their payments, loans and UTRs', async () => {
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ PAYMENT_UTR_ONCE: 4 }));
    const named = findings.filter((finding) => finding.check === 'PAYMENT_UTR_ONCE');
    expect(named.map((finding) => finding.rowId).sort()).toEqual(
      [paid.twiceKey, paid.twicePadded, paid.bothPaddedA, paid.bothPaddedB].map(String).sort(),
    );
    const twice = named.find((finding) => finding.rowId === String(paid.twicePadded));
    expect(twice).toMatchObject({ table: 'payments', expected: 'one posted payment with UTR 777788889999' });
    expect(twice?.message).toContain(`payment ${paid.twiceKey} (loan ${loans.l2}, UTR 777788889999)`);
    expect(twice?.message).toContain(`payment ${paid.twicePadded} (loan ${loans.l3}, UTR 0000777788889999)`);
  });

  it('changes nothing more when run again, and down keeps the data', async () => {
    const before = await sql`SELECT id, utr FROM payments UNION ALL SELECT NULL, utr FROM payment_intake ORDER BY 1, 2`.execute(database.db);
    await utrMatchKeys.down(migration());
    await utrMatchKeys.up(migration());
    const after = await sql`SELECT id, utr FROM payments UNION ALL SELECT NULL, utr FROM payment_intake ORDER BY 1, 2`.execute(database.db);
    expect(after.rows).toEqual(before.rows);
  });
});
