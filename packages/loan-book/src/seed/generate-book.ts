import {
  addDays,
  addMonths,
  classifyBorrowerLoans,
  daysBetween,
  scheduleStanding,
  generateEmiSchedule,
  isBusinessDate,
  performingBucketName,
  type BucketTable,
  type BusinessDate,
  type Language,
  type Paise,
} from '@loanops/domain';
import { GIVEN_NAMES, REGIONS, STREET_KINDS, SURNAMES, type Region } from './demo-people.js';
import { createPrng, mixSeed, type Prng } from './prng.js';

/**
 * The demo book generator: pure and deterministic. Given a seed it yields the same borrowers,
 * loans and schedules, piece by piece, so a million loans never sit in memory at once. Every
 * loan's DPD, bucket and outstanding amounts are derived from its installments with the domain
 * rules (generateEmiSchedule, scheduleStanding, classifyBorrowerLoans), never set directly: the
 * scenario only decides how much of the schedule was paid.
 */

export interface BookSpec {
  loans: number;
  seed: number;
  /** The business date the book is as of: DPD, buckets and payment dates are relative to it. */
  today: BusinessDate;
  bucketTable: BucketTable;
  /** How many collectors the loans are spread over (0 leaves every loan unassigned). */
  collectors: number;
  /** Where numbering starts (LN…, CU…, COL…), so a second run can append after the first. */
  firstLoanOrdinal?: number;
  firstBorrowerOrdinal?: number;
  firstCollectorOrdinal?: number;
}

export interface SeedCollector {
  code: string;
  name: string;
  phone: string;
  email: string;
}

export interface SeedBorrower {
  customerRef: string;
  name: string;
  phone: string;
  email: string | null;
  address: string;
  pinCode: string;
  language: Language;
}

export interface SeedInstallment {
  seq: number;
  dueOn: BusinessDate;
  principalDuePaise: Paise;
  interestDuePaise: Paise;
  principalPaidPaise: Paise;
  interestPaidPaise: Paise;
  /** Set exactly when the installment is fully paid (the schema's CHECK). */
  paidOn: BusinessDate | null;
}

/** How the loan was repaid so far; the bucket follows from the installments, not from this. */
export type SeedScenario = 'CURRENT' | 'PAID_AHEAD' | 'OVERDUE' | 'CLOSED';

export interface SeedLoan {
  loanNumber: string;
  /** Index of the loan's borrower in the same piece's `borrowers`. */
  borrowerIndex: number;
  /** Index into this run's collectors, or null for a loan awaiting assignment. */
  collectorIndex: number | null;
  principalPaise: Paise;
  annualRateBps: number;
  tenureMonths: number;
  disbursedOn: BusinessDate;
  firstDueOn: BusinessDate;
  status: 'ACTIVE' | 'CLOSED';
  dpd: number;
  bucket: string;
  principalOutstandingPaise: Paise;
  interestOutstandingPaise: Paise;
  /** An IST timestamp (`YYYY-MM-DDTHH:MM:00+05:30`) for closed loans. */
  closedAt: string | null;
  scenario: SeedScenario;
  paidAhead: boolean;
  partiallyPaid: boolean;
  installments: SeedInstallment[];
}

/** A run of whole borrowers with their loans (a borrower's loans never straddle two pieces). */
export interface BookPiece {
  borrowers: SeedBorrower[];
  loans: SeedLoan[];
}

/** Disbursals spread over the three years before today. */
const HORIZON_DAYS = 1_095;
/** Share of borrowers with a second loan, so borrower-wide NPA shows in the book. */
const SECOND_LOAN_SHARE = 0.08;
/** Share of borrowers whose loans have no collector yet (ops' assignment queue). */
const UNASSIGNED_SHARE = 0.02;
const MIN_PRINCIPAL_RUPEES = 25_000;
const MAX_PRINCIPAL_RUPEES = 2_000_000;

/** Principal bands in rupees with their weights: most loans are small. */
const PRINCIPAL_BANDS: readonly (readonly [readonly [number, number], number])[] = [
  [[MIN_PRINCIPAL_RUPEES, 100_000], 45],
  [[100_000, 300_000], 30],
  [[300_000, 800_000], 17],
  [[800_000, MAX_PRINCIPAL_RUPEES], 8],
];

/**
 * The days of the month EMIs fall due on, with their weights: lenders present NACH mandates
 * on a few fixed dates, early in the month when salaries have come in. (It also keeps the
 * unpaid-installments index by due date compact while a million loans load.)
 */
const EMI_DAYS: readonly (readonly [number, number])[] = [
  [2, 15],
  [5, 35],
  [7, 15],
  [10, 25],
  [15, 10],
];

/** The oldest arrears a seeded loan can have, so it still fits the horizon with its disbursal. */
const MAX_DPD = HORIZON_DAYS - 120;

/** Tenures in months with their weights (6 to 60, mostly one to three years). */
const TENURES: readonly (readonly [number, number])[] = [
  [6, 8],
  [9, 6],
  [12, 20],
  [15, 6],
  [18, 12],
  [24, 20],
  [36, 16],
  [48, 7],
  [60, 5],
];

type Scenario =
  | { kind: 'CURRENT' | 'PAID_AHEAD' | 'CLOSED' }
  | { kind: 'OVERDUE'; minDpd: number; maxDpd: number; lastBucket: boolean };

/** The collectors to create for a book of `loans` loans: one per 2,000 loans, at least 5. */
export function defaultCollectorCount(loans: number): number {
  return Math.max(5, Math.ceil(loans / 2_000));
}

export function loanNumberFor(ordinal: number): string {
  return `LN${String(ordinal).padStart(7, '0')}`;
}

export function customerRefFor(ordinal: number): string {
  return `CU${String(ordinal).padStart(7, '0')}`;
}

export function collectorCodeFor(ordinal: number): string {
  return `COL${String(ordinal).padStart(4, '0')}`;
}

export function generateCollectors(spec: BookSpec): SeedCollector[] {
  const first = spec.firstCollectorOrdinal ?? 1;
  const rng = createPrng(mixSeed(spec.seed, first, 2));
  const collectors: SeedCollector[] = [];
  for (let index = 0; index < spec.collectors; index += 1) {
    const code = collectorCodeFor(first + index);
    const given = rng.pick(GIVEN_NAMES);
    const surname = rng.pick(SURNAMES);
    collectors.push({
      code,
      name: `${given} ${surname}`,
      phone: indianMobile(rng),
      // Reserved example domain: reminders and alerts must never reach a real inbox from a demo.
      email: `${given}.${surname}.${code}@example.com`.toLowerCase(),
    });
  }
  return collectors;
}

/**
 * Yields the book in pieces of about `pieceLoans` loans. The rows do not depend on the piece
 * size: the random stream is drawn borrower by borrower, the same way whatever the pieces.
 */
export function* generateBook(spec: BookSpec, pieceLoans = 500): Generator<BookPiece> {
  checkSpec(spec, pieceLoans);
  const firstLoan = spec.firstLoanOrdinal ?? 1;
  const rng = createPrng(mixSeed(spec.seed, firstLoan, 1));
  const scenarios = scenarioWeights(spec.bucketTable);
  const performing = performingBucketName(spec.bucketTable);

  let made = 0;
  let borrowerOrdinal = spec.firstBorrowerOrdinal ?? 1;
  let piece: BookPiece = { borrowers: [], loans: [] };
  while (made < spec.loans) {
    const count = Math.min(spec.loans - made, rng.chance(SECOND_LOAN_SHARE) ? 2 : 1);
    const borrower = generateBorrower(rng, borrowerOrdinal);
    const collectorIndex =
      spec.collectors > 0 && !rng.chance(UNASSIGNED_SHARE) ? rng.int(0, spec.collectors - 1) : null;
    const drafts: LoanDraft[] = [];
    for (let k = 0; k < count; k += 1) drafts.push(draftLoan(rng, spec.today, rng.weighted(scenarios)));

    // RBI classifies NPAs by borrower: classify the borrower's live loans together.
    const live = drafts.flatMap((draft, id) => (draft.closedAt === null ? [{ id, dpd: draft.dpd, bucket: null }] : []));
    const buckets = classifyBorrowerLoans(live, spec.bucketTable);

    const borrowerIndex = piece.borrowers.length;
    piece.borrowers.push(borrower);
    drafts.forEach((draft, id) => {
      piece.loans.push({
        ...draft,
        loanNumber: loanNumberFor(firstLoan + made + id),
        borrowerIndex,
        collectorIndex,
        status: draft.closedAt === null ? 'ACTIVE' : 'CLOSED',
        bucket: buckets.get(id) ?? performing,
      });
    });
    made += count;
    borrowerOrdinal += 1;
    if (piece.loans.length >= pieceLoans) {
      yield piece;
      piece = { borrowers: [], loans: [] };
    }
  }
  if (piece.loans.length > 0) yield piece;
}

function checkSpec(spec: BookSpec, pieceLoans: number): void {
  const positive = (value: number | undefined) => value === undefined || (Number.isSafeInteger(value) && value >= 1);
  if (!Number.isSafeInteger(spec.loans) || spec.loans < 0) throw new RangeError(`loans must be a whole number ≥ 0`);
  if (!Number.isSafeInteger(spec.collectors) || spec.collectors < 0) {
    throw new RangeError('collectors must be a whole number ≥ 0');
  }
  if (!Number.isSafeInteger(spec.seed)) throw new RangeError('seed must be a whole number');
  if (!isBusinessDate(spec.today)) {
    throw new RangeError(`today must be a YYYY-MM-DD date, not ${JSON.stringify(spec.today)}`);
  }
  if (!positive(spec.firstLoanOrdinal) || !positive(spec.firstBorrowerOrdinal) || !positive(spec.firstCollectorOrdinal)) {
    throw new RangeError('ordinals start at 1');
  }
  if (!Number.isSafeInteger(pieceLoans) || pieceLoans < 1) throw new RangeError('pieceLoans must be ≥ 1');
}

/**
 * What share of loans is meant for each standing: about 70% performing (a few paid ahead), 6%
 * closed, and the rest spread over every delinquent bucket of the table, the last
 * (non-performing) one included.
 */
function scenarioWeights(table: BucketTable): (readonly [Scenario, number])[] {
  const entries: (readonly [Scenario, number])[] = [
    [{ kind: 'CURRENT' }, 64],
    [{ kind: 'PAID_AHEAD' }, 6],
    [{ kind: 'CLOSED' }, 6],
  ];
  const delinquent = table.slice(1);
  const intermediate = delinquent.length - 1;
  const triangle = (intermediate * (intermediate + 1)) / 2;
  delinquent.forEach((bucket, index) => {
    const next = delinquent[index + 1];
    const lastBucket = next === undefined;
    const weight = lastBucket ? 5 : (19 * (intermediate - index)) / triangle;
    entries.push([
      { kind: 'OVERDUE', minDpd: bucket.minDpd, maxDpd: next ? next.minDpd - 1 : bucket.minDpd + 540, lastBucket },
      weight,
    ]);
  });
  return entries;
}

function generateBorrower(rng: Prng, ordinal: number): SeedBorrower {
  const given = rng.pick(GIVEN_NAMES);
  const surname = rng.pick(SURNAMES);
  const region = rng.weighted(REGION_WEIGHTS);
  return {
    customerRef: customerRefFor(ordinal),
    name: `${given} ${surname}`,
    phone: indianMobile(rng),
    email: rng.chance(0.35) ? `${given}.${surname}${rng.int(1, 99)}@example.com`.toLowerCase() : null,
    address: `${rng.int(1, 999)}, ${rng.pick(region.localities)} ${rng.pick(STREET_KINDS)}, ${region.city}, ${region.state}`,
    pinCode: `${region.pinPrefix}${String(rng.int(1, 99)).padStart(3, '0')}`,
    language: rng.chance(region.hindiShare) ? 'hi' : 'en',
  };
}

const REGION_WEIGHTS: readonly (readonly [Region, number])[] = REGIONS.map((region) => [region, region.weight]);

/** +91 and ten digits starting 6–9: the mobiles SMS and voice reminders reach. */
function indianMobile(rng: Prng): string {
  return `+91${rng.int(6, 9)}${String(rng.int(0, 999_999_999)).padStart(9, '0')}`;
}

type LoanDraft = Omit<SeedLoan, 'loanNumber' | 'borrowerIndex' | 'collectorIndex' | 'status' | 'bucket'>;

function draftLoan(rng: Prng, today: BusinessDate, scenario: Scenario): LoanDraft {
  const [low, high] = rng.weighted(PRINCIPAL_BANDS);
  const principalPaise = rng.int(low / 1_000, high / 1_000) * 1_000 * 100;
  const annualRateBps = 1_000 + 25 * rng.int(0, 64);
  const tenureMonths = rng.weighted(TENURES);
  const emiDay = rng.weighted(EMI_DAYS);

  let disbursedOn: BusinessDate;
  let closedAt: string | null = null;
  let paidAhead = false;
  let partiallyPaid = false;
  let installments: SeedInstallment[];
  switch (scenario.kind) {
    case 'CURRENT':
    case 'PAID_AHEAD': {
      // Young enough that part of the schedule is still ahead (the first EMI is at most 45
      // days after disbursal, every month has at least 28 days).
      const age = rng.int(1, Math.min(28 * (tenureMonths - 1) + 15, HORIZON_DAYS));
      disbursedOn = addDays(today, -age);
      installments = schedule(principalPaise, annualRateBps, tenureMonths, firstEmiAfter(disbursedOn, emiDay));
      let lastPaidOn = disbursedOn;
      for (const inst of installments) {
        if (inst.dueOn >= today) break;
        lastPaidOn = later(disbursedOn, addDays(inst.dueOn, -rng.int(0, 4)));
        payInFull(inst, lastPaidOn);
      }
      let next = installments.findIndex((inst) => inst.paidOn === null);
      if (scenario.kind === 'PAID_AHEAD') {
        const ahead = Math.min(rng.int(1, 3), installments.length - next - 1);
        for (let k = 0; k < ahead; k += 1) {
          const inst = installments[next + k] as SeedInstallment;
          payInFull(inst, later(lastPaidOn, addDays(today, -rng.int(0, Math.min(15, age - 1)))));
        }
        paidAhead = ahead > 0;
        next += Math.max(0, ahead);
      }
      if (rng.chance(0.12)) partiallyPaid = payPart(rng, installments[next]);
      break;
    }
    case 'OVERDUE': {
      // The borrower paid `paid` installments, then stopped: the next one, the oldest unpaid,
      // fell due on an EMI date inside the bucket's DPD range.
      // The last bucket has no upper end: skewed towards its start, as real arrears are.
      const oldestUnpaid = scenario.lastBucket
        ? latestEmiDate(addDays(today, -Math.min(skewedDpd(rng, scenario.minDpd, scenario.maxDpd), MAX_DPD)), emiDay)
        : pickEmiDate(rng, addDays(today, -scenario.maxDpd), addDays(today, -scenario.minDpd), emiDay);
      const monthsBack = Math.max(1, Math.floor((HORIZON_DAYS - 40 - daysBetween(oldestUnpaid, today)) / 31));
      const paid = rng.int(0, Math.min(tenureMonths - 1, monthsBack - 1));
      const firstDueOn = addMonths(oldestUnpaid, -paid);
      disbursedOn = addDays(firstDueOn, -rng.int(16, 40));
      installments = schedule(principalPaise, annualRateBps, tenureMonths, firstDueOn);
      for (const inst of installments.slice(0, paid)) {
        // Paid, often late, but always before today.
        payInFull(inst, earlier(addDays(inst.dueOn, rng.int(0, 12)), addDays(today, -1)));
      }
      if (rng.chance(0.3)) partiallyPaid = payPart(rng, installments[paid]);
      break;
    }
    case 'CLOSED': {
      const age = rng.int(60, HORIZON_DAYS);
      disbursedOn = addDays(today, -age);
      installments = schedule(principalPaise, annualRateBps, tenureMonths, firstEmiAfter(disbursedOn, emiDay));
      const lastDue = (installments[installments.length - 1] as SeedInstallment).dueOn;
      // Matured and paid to the end, or foreclosed: what was left paid off in one go.
      const foreclosedOn = lastDue < today ? null : addDays(today, -rng.int(0, Math.min(90, age - 1)));
      let closedOn = disbursedOn;
      for (const inst of installments) {
        const paidOn =
          foreclosedOn !== null && inst.dueOn >= foreclosedOn
            ? foreclosedOn
            : later(disbursedOn, addDays(inst.dueOn, -rng.int(0, 3)));
        payInFull(inst, paidOn);
        closedOn = later(closedOn, paidOn);
      }
      // Closed during office hours, IST.
      const [hour, minute] = [rng.int(10, 17), rng.int(0, 59)];
      closedAt = `${closedOn}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+05:30`;
      break;
    }
  }

  const { principalOutstandingPaise, interestOutstandingPaise, dpd } = scheduleStanding(installments, today);
  return {
    principalPaise,
    annualRateBps,
    tenureMonths,
    disbursedOn,
    firstDueOn: (installments[0] as SeedInstallment).dueOn,
    dpd,
    principalOutstandingPaise,
    interestOutstandingPaise,
    closedAt,
    scenario: scenario.kind,
    paidAhead,
    partiallyPaid,
    installments,
  };
}

function schedule(principalPaise: Paise, annualRateBps: number, tenureMonths: number, firstDueOn: BusinessDate) {
  return generateEmiSchedule({ principalPaise, annualRateBps, tenureMonths, firstDueOn }).map(
    (inst): SeedInstallment => ({
      seq: inst.seq,
      dueOn: inst.dueOn,
      principalDuePaise: inst.principalPaise,
      interestDuePaise: inst.interestPaise,
      principalPaidPaise: 0,
      interestPaidPaise: 0,
      paidOn: null,
    }),
  );
}

/** `date`'s month with another day (≤ 28, so every month has it). */
function onDay(date: BusinessDate, day: number): BusinessDate {
  return `${date.slice(0, 8)}${String(day).padStart(2, '0')}`;
}

/** The first EMI date: the loan's EMI day in the next month, or the one after when that is under 15 days away. */
function firstEmiAfter(disbursedOn: BusinessDate, emiDay: number): BusinessDate {
  const next = onDay(addMonths(disbursedOn, 1), emiDay);
  return daysBetween(disbursedOn, next) < 15 ? addMonths(next, 1) : next;
}

/** The last date on or before `date` that falls on the EMI day. */
function latestEmiDate(date: BusinessDate, emiDay: number): BusinessDate {
  const sameMonth = onDay(date, emiDay);
  return sameMonth <= date ? sameMonth : addMonths(sameMonth, -1);
}

/** A random EMI date in [from, to], or the latest before `to` when the range holds none. */
function pickEmiDate(rng: Prng, from: BusinessDate, to: BusinessDate, emiDay: number): BusinessDate {
  const candidates: BusinessDate[] = [];
  for (let date = latestEmiDate(to, emiDay); date >= from; date = addMonths(date, -1)) candidates.push(date);
  return candidates.length > 0 ? rng.pick(candidates) : latestEmiDate(to, emiDay);
}

function skewedDpd(rng: Prng, minDpd: number, maxDpd: number): number {
  return minDpd + Math.floor(rng.next() ** 2 * (maxDpd - minDpd + 1));
}

function payInFull(inst: SeedInstallment, paidOn: BusinessDate): void {
  inst.principalPaidPaise = inst.principalDuePaise;
  inst.interestPaidPaise = inst.interestDuePaise;
  inst.paidOn = paidOn;
}

/** Pays part of an installment, interest before principal (as allocation does); false when there is none. */
function payPart(rng: Prng, inst: SeedInstallment | undefined): boolean {
  if (!inst) return false;
  const due = inst.principalDuePaise + inst.interestDuePaise;
  if (due < 2) return false;
  const amount = rng.int(1, due - 1);
  inst.interestPaidPaise = Math.min(amount, inst.interestDuePaise);
  inst.principalPaidPaise = amount - inst.interestPaidPaise;
  return true;
}

function later(a: BusinessDate, b: BusinessDate): BusinessDate {
  return a > b ? a : b;
}

function earlier(a: BusinessDate, b: BusinessDate): BusinessDate {
  return a < b ? a : b;
}
