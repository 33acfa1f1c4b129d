import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUCKET_TABLE,
  addDays,
  bucketForDpd,
  classifyBorrowerLoans,
  daysBetween,
  reclassifyBorrower,
  type BucketTable,
  type HeldStanding,
  type Reclassification,
} from '@loanops/domain';

const table = DEFAULT_BUCKET_TABLE;

function loan(id: number, held: { dpd: number; bucket: string; asOf: string }, oldestUnpaidDueOn: string | null): HeldStanding {
  return { id, ...held, oldestUnpaidDueOn };
}

describe('reclassifyBorrower: one loan, one run', () => {
  // The EMI of RBI's worked example fell due on 2021-03-31 and was never paid. The loan held its
  // standing as of `asOf` (consistent with that EMI); the run is for `on`.
  const due = '2021-03-31';
  const held = (asOf: string) => {
    const dpd = asOf > due ? daysBetween(due, asOf) : 0;
    return { dpd, bucket: bucketForDpd(dpd, table), asOf };
  };

  it.each([
    // asOf, on, expected DPD on `on`, expected bucket, expected crossings [date, from, to, dpd]
    ['2021-03-30', '2021-03-31', 0, 'CURRENT', []],
    ['2021-03-31', '2021-04-01', 1, 'SMA-0', [['2021-04-01', 'CURRENT', 'SMA-0', 1]]],
    ['2021-04-29', '2021-04-30', 30, 'SMA-0', []],
    ['2021-04-30', '2021-05-01', 31, 'SMA-1', [['2021-05-01', 'SMA-0', 'SMA-1', 31]]],
    ['2021-05-30', '2021-05-31', 61, 'SMA-2', [['2021-05-31', 'SMA-1', 'SMA-2', 61]]],
    ['2021-06-28', '2021-06-29', 90, 'SMA-2', []],
    ['2021-06-29', '2021-06-30', 91, 'NPA', [['2021-06-30', 'SMA-2', 'NPA', 91]]],
    ['2021-06-30', '2021-07-01', 92, 'NPA', []],
  ])('held as of %s, run for %s: DPD %d, %s', (asOf, on, dpd, bucket, rows) => {
    const changes = reclassifyBorrower([loan(1, held(asOf), due < on ? due : null)], on, table);
    if (dpd === held(asOf).dpd) {
      expect(changes).toEqual([]);
      return;
    }
    expect(changes).toEqual([
      {
        loanId: 1,
        dpdBefore: held(asOf).dpd,
        dpdAfter: dpd,
        bucketBefore: held(asOf).bucket,
        bucketAfter: bucket,
        crossings: (rows as [string, string, string, number][]).map(([date, from, to, rowDpd]) => ({ date, from, to, dpd: rowDpd })),
      },
    ]);
  });

  it("dates each threshold on the day it was crossed when runs were missed (RBI's example in one catch-up run)", () => {
    const [change] = reclassifyBorrower([loan(1, { dpd: 0, bucket: 'CURRENT', asOf: '2021-03-15' }, due)], '2021-06-30', table);
    expect(change?.dpdAfter).toBe(91);
    expect(change?.crossings).toEqual([
      { date: '2021-04-01', from: 'CURRENT', to: 'SMA-0', dpd: 1 },
      { date: '2021-05-01', from: 'SMA-0', to: 'SMA-1', dpd: 31 },
      { date: '2021-05-31', from: 'SMA-1', to: 'SMA-2', dpd: 61 },
      { date: '2021-06-30', from: 'SMA-2', to: 'NPA', dpd: 91 },
    ]);
  });

  it('gives a loan whose DPD went from 25 to 65 two rows, at DPD 31 and at DPD 61', () => {
    // Oldest unpaid EMI due 2026-01-05: DPD 25 on 2026-01-30, 65 on 2026-03-11.
    const [change] = reclassifyBorrower(
      [loan(7, { dpd: 25, bucket: 'SMA-0', asOf: '2026-01-30' }, '2026-01-05')],
      '2026-03-11',
      table,
    );
    expect(change).toMatchObject({ dpdBefore: 25, dpdAfter: 65, bucketBefore: 'SMA-0', bucketAfter: 'SMA-2' });
    expect(change?.crossings).toEqual([
      { date: '2026-02-05', from: 'SMA-0', to: 'SMA-1', dpd: 31 },
      { date: '2026-03-07', from: 'SMA-1', to: 'SMA-2', dpd: 61 },
    ]);
  });

  it('moves only the DPD when the bucket stays (no history row)', () => {
    expect(reclassifyBorrower([loan(1, { dpd: 10, bucket: 'SMA-0', asOf: '2026-01-15' }, '2026-01-05')], '2026-01-18', table)).toEqual([
      { loanId: 1, dpdBefore: 10, dpdAfter: 13, bucketBefore: 'SMA-0', bucketAfter: 'SMA-0', crossings: [] },
    ]);
  });

  it('leaves a loan alone when nothing changed', () => {
    expect(reclassifyBorrower([loan(1, { dpd: 0, bucket: 'CURRENT', asOf: '2026-01-01' }, null)], '2026-03-01', table)).toEqual([]);
  });

  it('writes a move down (standing that no longer fits) as one row dated the run', () => {
    const [change] = reclassifyBorrower([loan(1, { dpd: 40, bucket: 'SMA-1', asOf: '2026-02-01' }, null)], '2026-02-02', table);
    expect(change?.crossings).toEqual([{ date: '2026-02-02', from: 'SMA-1', to: 'CURRENT', dpd: 0 }]);
  });

  it('writes a bucket the table no longer knows as one row dated the run', () => {
    const [change] = reclassifyBorrower([loan(1, { dpd: 40, bucket: 'WATCH', asOf: '2026-02-01' }, '2025-12-23')], '2026-02-02', table);
    expect(change).toMatchObject({ bucketAfter: 'SMA-1', crossings: [{ date: '2026-02-02', from: 'WATCH', to: 'SMA-1', dpd: 41 }] });
  });

  it('leaves a borrower alone when one of its loans already stands as of a later date', () => {
    const loans = [
      loan(1, { dpd: 10, bucket: 'SMA-0', asOf: '2026-02-01' }, '2026-01-22'),
      loan(2, { dpd: 0, bucket: 'CURRENT', asOf: '2026-02-05' }, null),
    ];
    expect(reclassifyBorrower(loans, '2026-02-03', table)).toEqual([]);
  });
});

describe('reclassifyBorrower: borrower-wide and sticky NPA', () => {
  it('pulls every loan of the borrower into NPA on the day the first reached 91, with their own crossings before it', () => {
    const loans = [
      // DPD 88 on 2026-04-01 → 91 on 2026-04-04.
      loan(1, { dpd: 88, bucket: 'SMA-2', asOf: '2026-04-01' }, '2026-01-03'),
      // DPD 28 on 2026-04-01 → 31 on 2026-04-04 (the NPA day itself: no SMA-1 row) and 34 on 2026-04-07.
      loan(2, { dpd: 28, bucket: 'SMA-0', asOf: '2026-04-01' }, '2026-03-04'),
      // DPD 29 on 2026-04-01 → 31 on 2026-04-03, the day before the borrower went NPA.
      loan(3, { dpd: 29, bucket: 'SMA-0', asOf: '2026-04-01' }, '2026-03-03'),
      // Nothing overdue.
      loan(4, { dpd: 0, bucket: 'CURRENT', asOf: '2026-03-20' }, null),
    ];
    const byLoan = Object.fromEntries(reclassifyBorrower(loans, '2026-04-07', table).map((change) => [change.loanId, change]));
    expect(byLoan[1]?.crossings).toEqual([{ date: '2026-04-04', from: 'SMA-2', to: 'NPA', dpd: 91 }]);
    expect(byLoan[2]?.crossings).toEqual([{ date: '2026-04-04', from: 'SMA-0', to: 'NPA', dpd: 31 }]);
    expect(byLoan[3]?.crossings).toEqual([
      { date: '2026-04-03', from: 'SMA-0', to: 'SMA-1', dpd: 31 },
      { date: '2026-04-04', from: 'SMA-1', to: 'NPA', dpd: 32 },
    ]);
    expect(byLoan[4]).toMatchObject({ dpdAfter: 0, bucketAfter: 'NPA', crossings: [{ date: '2026-04-04', from: 'CURRENT', to: 'NPA', dpd: 0 }] });
  });

  it('keeps an NPA borrower NPA while any loan has arrears (RBI, IRACP clarification of 12 November 2021)', () => {
    const loans = [
      loan(1, { dpd: 0, bucket: 'NPA', asOf: '2026-04-01' }, null),
      loan(2, { dpd: 5, bucket: 'NPA', asOf: '2026-04-01' }, '2026-03-27'),
    ];
    const changes = reclassifyBorrower(loans, '2026-04-02', table);
    expect(changes).toEqual([{ loanId: 2, dpdBefore: 5, dpdAfter: 6, bucketBefore: 'NPA', bucketAfter: 'NPA', crossings: [] }]);
  });

  it('follows a configured table', () => {
    const custom: BucketTable = [
      { name: 'REGULAR', minDpd: 0 },
      { name: 'EARLY', minDpd: 1 },
      { name: 'LATE', minDpd: 46 },
      { name: 'BAD', minDpd: 121 },
    ];
    const [change] = reclassifyBorrower([loan(1, { dpd: 0, bucket: 'REGULAR', asOf: '2026-01-01' }, '2026-01-01')], '2026-06-01', custom);
    expect(change?.crossings).toEqual([
      { date: '2026-01-02', from: 'REGULAR', to: 'EARLY', dpd: 1 },
      { date: '2026-02-16', from: 'EARLY', to: 'LATE', dpd: 46 },
      { date: '2026-05-02', from: 'LATE', to: 'BAD', dpd: 121 },
    ]);
  });
});

describe('reclassifyBorrower: properties', () => {
  const day0 = '2026-01-01';
  /** A borrower's loans, each with the day its oldest unpaid EMI fell due (or none). */
  const borrower = fc.array(fc.option(fc.integer({ min: -150, max: 200 }), { nil: null }), { minLength: 1, maxLength: 4 });
  const dueOf = (offset: number | null) => (offset === null ? null : addDays(day0, offset));

  /** The standing each loan holds at `asOf`, as a run on that day would have left it. */
  function standingAt(dues: (string | null)[], asOf: string): HeldStanding[] {
    const dpds = dues.map((due) => (due !== null && due < asOf ? daysBetween(due, asOf) : 0));
    const buckets = classifyBorrowerLoans(
      dpds.map((dpd, index) => ({ id: index + 1, dpd, bucket: bucketForDpd(dpd, table) })),
      table,
    );
    return dues.map((due, index) => ({
      id: index + 1,
      dpd: dpds[index] as number,
      bucket: buckets.get(index + 1) as string,
      asOf,
      oldestUnpaidDueOn: due !== null && due < asOf ? due : null,
    }));
  }

  function apply(held: HeldStanding[], changes: Reclassification[], on: string, dues: (string | null)[]): HeldStanding[] {
    const byId = new Map(changes.map((change) => [change.loanId, change]));
    return held.map((loan, index) => {
      const change = byId.get(loan.id);
      const due = dues[index] ?? null;
      return {
        id: loan.id,
        dpd: change?.dpdAfter ?? loan.dpd,
        bucket: change?.bucketAfter ?? loan.bucket,
        asOf: on,
        oldestUnpaidDueOn: due !== null && due < on ? due : null,
      };
    });
  }

  it('one catch-up run leaves the same standing and the same history as a run every day', () => {
    fc.assert(
      fc.property(borrower, fc.integer({ min: 0, max: 150 }), fc.integer({ min: 1, max: 120 }), (offsets, start, gap) => {
        const dues = offsets.map(dueOf);
        const asOf = addDays(day0, start);
        const on = addDays(asOf, gap);

        const withDues = (held: HeldStanding[], date: string) =>
          held.map((loan, index) => {
            const due = dues[index] ?? null;
            return { ...loan, oldestUnpaidDueOn: due !== null && due < date ? due : null };
          });
        const catchUp = reclassifyBorrower(withDues(standingAt(dues, asOf), on), on, table);

        let daily = standingAt(dues, asOf);
        const dailyRows: string[] = [];
        for (let day = 1; day <= gap; day += 1) {
          const date = addDays(asOf, day);
          const changes = reclassifyBorrower(withDues(daily, date), date, table);
          for (const change of changes) {
            for (const row of change.crossings) dailyRows.push(`${change.loanId} ${row.date} ${row.from}>${row.to} ${row.dpd}`);
          }
          daily = apply(daily, changes, date, dues);
        }

        const caughtUp = apply(standingAt(dues, asOf), catchUp, on, dues);
        expect(caughtUp.map(({ dpd, bucket }) => ({ dpd, bucket }))).toEqual(daily.map(({ dpd, bucket }) => ({ dpd, bucket })));
        const catchUpRows = catchUp.flatMap((change) =>
          change.crossings.map((row) => `${change.loanId} ${row.date} ${row.from}>${row.to} ${row.dpd}`),
        );
        expect(catchUpRows.sort()).toEqual(dailyRows.sort());
      }),
      { numRuns: 300 },
    );
  });

  it('chains crossings from the held bucket to the new one, in date order, within the gap, DPD never negative', () => {
    fc.assert(
      fc.property(borrower, fc.integer({ min: 0, max: 150 }), fc.integer({ min: 1, max: 400 }), (offsets, start, gap) => {
        const dues = offsets.map(dueOf);
        const asOf = addDays(day0, start);
        const on = addDays(asOf, gap);
        const held = standingAt(dues, asOf).map((loan, index) => {
          const due = dues[index] ?? null;
          return { ...loan, oldestUnpaidDueOn: due !== null && due < on ? due : null };
        });
        for (const change of reclassifyBorrower(held, on, table)) {
          expect(change.dpdAfter).toBeGreaterThanOrEqual(0);
          if (change.bucketBefore === change.bucketAfter) {
            expect(change.crossings).toEqual([]);
            continue;
          }
          expect(change.crossings[0]?.from).toBe(change.bucketBefore);
          expect(change.crossings.at(-1)?.to).toBe(change.bucketAfter);
          let previous = change.crossings[0] as (typeof change.crossings)[number];
          for (const row of change.crossings) {
            expect(row.date > asOf && row.date <= on).toBe(true);
            expect(row.dpd).toBeGreaterThanOrEqual(0);
            if (row !== previous) {
              expect(row.from).toBe(previous.to);
              expect(row.date >= previous.date).toBe(true);
            }
            previous = row;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
