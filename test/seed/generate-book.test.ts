import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUCKET_TABLE,
  addDays,
  bucketForDpd,
  classifyBorrowerLoans,
  daysPastDue,
  npaBucket,
  type BucketTable,
  type BusinessDate,
} from '@loanops/domain';
import {
  createPrng,
  defaultCollectorCount,
  generateBook,
  generateCollectors,
  type BookPiece,
  type BookSpec,
  type SeedLoan,
} from '@loanops/loan-book';

const TODAY: BusinessDate = '2026-04-15';

const spec = (overrides: Partial<BookSpec> = {}): BookSpec => ({
  loans: 300,
  seed: 7,
  today: TODAY,
  bucketTable: DEFAULT_BUCKET_TABLE,
  collectors: 5,
  ...overrides,
});

const collect = (book: BookSpec, pieceLoans?: number): BookPiece[] => [...generateBook(book, pieceLoans)];
const loansOf = (pieces: readonly BookPiece[]): SeedLoan[] => pieces.flatMap((piece) => piece.loans);
const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * Everything the schema's CHECKs and the DPD/bucket rules demand of a generated book, as a
 * list of broken rules (checked in plain code: tens of thousands of expect() calls are slow).
 */
function problemsOf(pieces: readonly BookPiece[], book: BookSpec): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok && problems.length < 20) problems.push(what);
  };
  const npa = npaBucket(book.bucketTable).name;
  const performing = book.bucketTable[0]?.name;
  const horizon = addDays(book.today, -1_100);
  for (const piece of pieces) {
    for (const b of piece.borrowers) {
      check(/^\+91[6-9][0-9]{9}$/.test(b.phone), `${b.customerRef}: phone ${b.phone}`);
      check(/^[1-9][0-9]{5}$/.test(b.pinCode), `${b.customerRef}: PIN ${b.pinCode}`);
      check(b.language === 'en' || b.language === 'hi', `${b.customerRef}: language ${b.language}`);
      check(b.email === null || /^[^@\s]+@[^@\s]+$/.test(b.email), `${b.customerRef}: e-mail ${b.email}`);
    }
    piece.borrowers.forEach((borrower, borrowerIndex) => {
      const loans = piece.loans.filter((loan) => loan.borrowerIndex === borrowerIndex);
      check(loans.length >= 1, `${borrower.customerRef} has no loan`);
      const live = loans.filter((loan) => loan.status === 'ACTIVE');
      // Borrower-wide NPA: one NPA live loan makes every live loan of the borrower NPA.
      check(!live.some((l) => l.bucket === npa) || live.every((l) => l.bucket === npa), `${borrower.customerRef}: NPA not borrower-wide`);
      const expected = classifyBorrowerLoans(live.map((loan, id) => ({ id, dpd: loan.dpd, bucket: null })), book.bucketTable);
      live.forEach((loan, id) => check(loan.bucket === expected.get(id), `${loan.loanNumber}: bucket ${loan.bucket}`));
    });
    for (const loan of piece.loans) {
      const at = loan.loanNumber;
      check(loan.principalPaise >= 2_500_000 && loan.principalPaise <= 200_000_000, `${at}: principal ${loan.principalPaise}`);
      check(loan.annualRateBps >= 1_000 && loan.annualRateBps <= 2_600, `${at}: rate ${loan.annualRateBps}`);
      check(loan.tenureMonths >= 6 && loan.tenureMonths <= 60, `${at}: tenure ${loan.tenureMonths}`);
      check(loan.installments.length === loan.tenureMonths, `${at}: ${loan.installments.length} installments`);
      check(loan.disbursedOn < book.today && loan.disbursedOn >= horizon, `${at}: disbursed ${loan.disbursedOn}`);
      check(loan.firstDueOn > loan.disbursedOn, `${at}: first due ${loan.firstDueOn}`);
      let principal = 0;
      let principalOutstanding = 0;
      let interestOutstanding = 0;
      for (const inst of loan.installments) {
        principal += inst.principalDuePaise;
        principalOutstanding += inst.principalDuePaise - inst.principalPaidPaise;
        interestOutstanding += inst.interestDuePaise - inst.interestPaidPaise;
        check(inst.principalPaidPaise >= 0 && inst.principalPaidPaise <= inst.principalDuePaise, `${at}/${inst.seq}: principal paid`);
        check(inst.interestPaidPaise >= 0 && inst.interestPaidPaise <= inst.interestDuePaise, `${at}/${inst.seq}: interest paid`);
        const fullyPaid = inst.principalPaidPaise === inst.principalDuePaise && inst.interestPaidPaise === inst.interestDuePaise;
        check((inst.paidOn !== null) === fullyPaid, `${at}/${inst.seq}: paidOn ${inst.paidOn} but fully paid ${fullyPaid}`);
        if (inst.paidOn !== null) {
          check(inst.paidOn <= book.today && inst.paidOn >= loan.disbursedOn, `${at}/${inst.seq}: paid on ${inst.paidOn}`);
        }
      }
      check(principal === loan.principalPaise, `${at}: principal parts sum to ${principal}`);
      check(loan.principalOutstandingPaise === principalOutstanding, `${at}: principal outstanding`);
      check(loan.interestOutstandingPaise === interestOutstanding, `${at}: interest outstanding`);
      const arrears = loan.installments.map((inst) => ({
        dueOn: inst.dueOn,
        outstandingPaise: inst.principalDuePaise - inst.principalPaidPaise + inst.interestDuePaise - inst.interestPaidPaise,
      }));
      check(loan.dpd === daysPastDue(arrears, book.today), `${at}: dpd ${loan.dpd}`);
      if (loan.status === 'CLOSED') {
        check(principalOutstanding + interestOutstanding === 0, `${at}: closed with something outstanding`);
        check(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+05:30$/.test(loan.closedAt ?? ''), `${at}: closedAt ${loan.closedAt}`);
        check((loan.closedAt ?? '').slice(0, 10) <= book.today, `${at}: closed after today`);
        check(loan.bucket === performing && loan.dpd === 0, `${at}: closed in ${loan.bucket}`);
      } else {
        check(principalOutstanding + interestOutstanding > 0, `${at}: live with nothing outstanding`);
        check(loan.closedAt === null, `${at}: live with closedAt`);
      }
      if (loan.paidAhead) {
        check(loan.installments.some((inst) => inst.dueOn >= book.today && inst.paidOn !== null), `${at}: not paid ahead`);
      }
      check(
        loan.collectorIndex === null || (loan.collectorIndex >= 0 && loan.collectorIndex < book.collectors),
        `${at}: collector ${loan.collectorIndex}`,
      );
    }
  }
  return problems;
}

describe('generateBook', () => {
  it('makes exactly the loans asked for, numbered on from the first ordinal', () => {
    const loans = loansOf(collect(spec({ loans: 1_234, firstLoanOrdinal: 501 })));
    expect(loans).toHaveLength(1_234);
    expect(loans[0]?.loanNumber).toBe('LN0000501');
    expect(loans.at(-1)?.loanNumber).toBe('LN0001734');
    expect(new Set(loans.map((loan) => loan.loanNumber)).size).toBe(1_234);
  });

  it('is deterministic: the same spec gives the same book, another seed another one', () => {
    const first = digest(collect(spec()));
    expect(digest(collect(spec()))).toBe(first);
    expect(digest(collect(spec({ seed: 8 })))).not.toBe(first);
  });

  it('does not depend on how the book is cut into pieces', () => {
    const whole = collect(spec(), 10_000);
    expect(whole).toHaveLength(1);
    expect(digest(loansOf(collect(spec(), 1)).map(({ borrowerIndex: _, ...loan }) => loan))).toBe(
      digest(loansOf(whole).map(({ borrowerIndex: _, ...loan }) => loan)),
    );
  });

  it.each<[string, BucketTable]>([
    ['the default RBI table', DEFAULT_BUCKET_TABLE],
    [
      'a configured table',
      [
        { name: 'REGULAR', minDpd: 0 },
        { name: 'X1', minDpd: 1 },
        { name: 'X2', minDpd: 15 },
        { name: 'X3', minDpd: 45 },
        { name: 'X4', minDpd: 75 },
        { name: 'BAD', minDpd: 120 },
      ],
    ],
  ])('spreads 3,000 loans over every bucket of %s, with closed, paid-ahead and part-paid loans', (_, table) => {
    const book = spec({ loans: 3_000, bucketTable: table });
    const pieces = collect(book);
    expect(problemsOf(pieces, book)).toEqual([]);
    const loans = loansOf(pieces);
    const live = loans.filter((loan) => loan.status === 'ACTIVE');
    for (const bucket of table) expect(live.filter((loan) => loan.bucket === bucket.name).length).toBeGreaterThan(20);
    expect(loans.filter((loan) => loan.status === 'CLOSED').length).toBeGreaterThan(50);
    expect(loans.filter((loan) => loan.paidAhead).length).toBeGreaterThan(50);
    expect(loans.filter((loan) => loan.partiallyPaid).length).toBeGreaterThan(50);
    const npa = npaBucket(table).name;
    // Borrower-wide NPA shows: some loans are NPA only because a sibling loan is.
    expect(live.some((loan) => loan.bucket === npa && bucketForDpd(loan.dpd, table) !== npa)).toBe(true);
  });

  it('keeps every invariant for any seed, size and business date', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: 3_650 }),
        fc.integer({ min: 0, max: 7 }),
        (seed, loans, dayOffset, collectors) => {
          const book = spec({ seed, loans, collectors, today: addDays('2022-01-01', dayOffset) });
          const pieces = collect(book, 17);
          expect(loansOf(pieces)).toHaveLength(loans);
          expect(problemsOf(pieces, book)).toEqual([]);
          if (collectors === 0) expect(loansOf(pieces).every((loan) => loan.collectorIndex === null)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a spec it cannot honour', () => {
    expect(() => collect(spec({ loans: -1 }))).toThrow(RangeError);
    expect(() => collect(spec({ firstLoanOrdinal: 0 }))).toThrow(RangeError);
    expect(() => collect(spec(), 0)).toThrow(RangeError);
    expect(() => collect(spec({ today: '2026-02-30' }))).toThrow(RangeError);
  });
});

describe('generateCollectors', () => {
  it('numbers collectors on from the first ordinal, with Indian mobiles and example.com mail', () => {
    const collectors = generateCollectors(spec({ collectors: 3, firstCollectorOrdinal: 12 }));
    expect(collectors.map((collector) => collector.code)).toEqual(['COL0012', 'COL0013', 'COL0014']);
    for (const collector of collectors) {
      expect(collector.phone).toMatch(/^\+91[6-9][0-9]{9}$/);
      expect(collector.email).toMatch(/@example\.com$/);
      expect(collector.name).toMatch(/^\S+ \S+$/);
    }
  });

  it.each([
    [1, 5],
    [10_000, 5],
    [10_001, 6],
    [1_000_000, 500],
  ])('defaults to one collector per 2,000 loans, at least 5: %d loans → %d', (loans, collectors) => {
    expect(defaultCollectorCount(loans)).toBe(collectors);
  });
});

describe('createPrng', () => {
  it('repeats its stream for a seed and keeps integers in range', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const drawn = Array.from({ length: 1_000 }, () => a.int(-3, 3));
    expect(Array.from({ length: 1_000 }, () => b.int(-3, 3))).toEqual(drawn);
    expect(new Set(drawn)).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    expect(createPrng(43).next()).not.toBe(createPrng(42).next());
  });
});
