import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocatePayment, totalOutstanding, type OpenCharge, type OpenInstallment } from '@loanops/domain';

const inst = (id: number, dueOn: string, interest: number, principal: number): OpenInstallment => ({
  id,
  seq: id,
  dueOn,
  interestOutstandingPaise: interest,
  principalOutstandingPaise: principal,
});

describe('allocatePayment', () => {
  const installments = [inst(2, '2026-02-28', 90, 910), inst(1, '2026-01-31', 100, 900), inst(3, '2026-03-31', 80, 920)];
  const charges: OpenCharge[] = [{ id: 7, leviedOn: '2026-02-05', outstandingPaise: 50 }];

  it.each([
    [30, [['CHARGE', 7, 30]]],
    [50, [['CHARGE', 7, 50]]],
    [100, [['CHARGE', 7, 50], ['INTEREST', 1, 50]]],
    [150, [['CHARGE', 7, 50], ['INTEREST', 1, 100]]],
    [1_100, [['CHARGE', 7, 50], ['INTEREST', 1, 100], ['PRINCIPAL', 1, 900], ['INTEREST', 2, 50]]],
    [
      3_050,
      [
        ['CHARGE', 7, 50],
        ['INTEREST', 1, 100],
        ['PRINCIPAL', 1, 900],
        ['INTEREST', 2, 90],
        ['PRINCIPAL', 2, 910],
        ['INTEREST', 3, 80],
        ['PRINCIPAL', 3, 920],
      ],
    ],
  ])('%d paise go charges first, then oldest installment, interest before principal', (amount, expected) => {
    const result = allocatePayment(amount, charges, installments);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(
      result.allocations.map((a) => [a.component, a.component === 'CHARGE' ? a.chargeId : a.installmentId, a.amountPaise]),
    ).toEqual(expected);
  });

  it('refuses one paisa above everything outstanding', () => {
    expect(totalOutstanding(charges, installments)).toBe(3_050);
    expect(allocatePayment(3_051, charges, installments)).toEqual({ ok: false, code: 'OVERPAYMENT', outstandingPaise: 3_050 });
  });

  const book = fc
    .record({
      charges: fc.array(fc.integer({ min: 1, max: 5_000 }), { maxLength: 3 }),
      installments: fc.array(fc.tuple(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 0, max: 500_000 })), {
        minLength: 1,
        maxLength: 24,
      }),
    })
    .map(({ charges: c, installments: i }) => ({
      charges: c.map((amount, index): OpenCharge => ({ id: index + 1, leviedOn: `2026-0${(index % 9) + 1}-01`, outstandingPaise: amount })),
      installments: i.map(([interest, principal], index) =>
        inst(index + 1, `20${26 + Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-15`, interest, principal),
      ),
    }));

  it('sums to the amount, overpays nothing and pays oldest first (property)', () => {
    fc.assert(
      fc.property(book, fc.double({ min: 0, max: 1, noNaN: true }), ({ charges: c, installments: i }, fraction) => {
        const outstanding = totalOutstanding(c, i);
        const amount = Math.floor(outstanding * fraction);
        const result = allocatePayment(amount, c, i);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.allocations.reduce((sum, a) => sum + a.amountPaise, 0)).toBe(amount);
        for (const a of result.allocations) expect(a.amountPaise).toBeGreaterThan(0);

        const paidByInstallment = new Map<number, { interest: number; principal: number }>();
        for (const a of result.allocations) {
          if (a.component === 'CHARGE') {
            const charge = c.find((x) => x.id === a.chargeId);
            expect(a.amountPaise).toBeLessThanOrEqual(charge?.outstandingPaise ?? -1);
            continue;
          }
          const entry = paidByInstallment.get(a.installmentId) ?? { interest: 0, principal: 0 };
          if (a.component === 'INTEREST') entry.interest += a.amountPaise;
          else entry.principal += a.amountPaise;
          paidByInstallment.set(a.installmentId, entry);
        }
        // Nothing overpaid, and an installment gets money only when every older one is settled.
        let olderSettled = c.every((charge) => result.allocations.some((a) => a.component === 'CHARGE' && a.chargeId === charge.id && a.amountPaise === charge.outstandingPaise) || charge.outstandingPaise === 0);
        for (const installment of i) {
          const paid = paidByInstallment.get(installment.id) ?? { interest: 0, principal: 0 };
          expect(paid.interest).toBeLessThanOrEqual(installment.interestOutstandingPaise);
          expect(paid.principal).toBeLessThanOrEqual(installment.principalOutstandingPaise);
          if (paid.interest + paid.principal > 0) expect(olderSettled).toBe(true);
          if (paid.principal > 0) expect(paid.interest).toBe(installment.interestOutstandingPaise);
          olderSettled =
            olderSettled &&
            paid.interest === installment.interestOutstandingPaise &&
            paid.principal === installment.principalOutstandingPaise;
        }
      }),
      { numRuns: 500 },
    );
  });
});
