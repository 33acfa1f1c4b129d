import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, equatedMonthlyInstallment, formatRupees, generateEmiSchedule } from '@loanops/domain';
import { createLoan, formatIssue, getLoan, importBook, type ImportReport } from '@loanops/loan-book';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import {
  TODAY,
  bookCounts,
  importOptions,
  loan,
  scratchDir,
  writeBookCsv,
  writeScheduleCsv,
  type Scratch,
} from './book-files.js';

const lines = (report: ImportReport) => report.issues.map(formatIssue);

describe('importBook from CSV', () => {
  let database: TestDatabase;
  let scratch: Scratch;
  let collectorId: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    scratch = await scratchDir();
    const collectors = await database.db
      .insertInto('collectors')
      .values([
        { code: 'C01', name: 'Asha Patil' },
        { code: 'C09', name: 'Retired Collector', active: false },
      ])
      .returning(['id', 'code'])
      .execute();
    collectorId = collectors.find((collector) => collector.code === 'C01')?.id ?? 0;
  });
  afterAll(async () => {
    await scratch.remove();
    await database.drop();
  });

  async function loanByNumber(loanNumber: string) {
    const row = await database.db.selectFrom('loans').select('id').where('loan_number', '=', loanNumber).executeTakeFirstOrThrow();
    return getLoan(database.db, row.id, TODAY);
  }

  it('imports a good file: borrowers, EMI schedules, DPD and buckets as of today, audit entries', async () => {
    const emi = equatedMonthlyInstallment(12_000_000, 1_200, 12);
    const file = await writeBookCsv(scratch, 'good.csv', [
      loan('G-1', {
        customer_ref: 'CUST-G1',
        borrower_name: 'Ravi Kumar',
        phone: '+91-98765-43210',
        email: 'Ravi@Example.com',
        address: '12 MG Road, Pune',
        pin_code: '411001',
        language: 'HI',
        collector_code: 'c01',
        tags: 'vip; pune',
        notes: 'moved from the old sheet',
      }),
      // Two EMIs repaid before the migration: the oldest unpaid one fell due on 10 March.
      loan('G-2', { paid_to_date: formatRupees(2 * emi), phone: '09876543211' }),
      loan('G-3', { principal: '50,000.50', annual_rate: '14.5%', tenure_months: '6', disbursed_on: '2026-03-01' }),
    ]);

    const report = await importBook(database.db, importOptions(file, { requestId: 'import-test-good' }));

    expect(report).toMatchObject({
      outcome: 'IMPORTED',
      format: 'csv',
      rows: { read: 3, valid: 3, invalid: 0, alreadyInBook: 0, imported: 3 },
      issueCount: 0,
      issues: [],
    });

    const g1 = await loanByNumber('G-1');
    expect(g1).toMatchObject({
      principalPaise: 12_000_000,
      annualRateBps: 1_200,
      tenureMonths: 12,
      disbursedOn: '2025-12-10',
      firstDueOn: '2026-01-10',
      // Unpaid since 10 January: 64 days past due on 15 March.
      dpd: 64,
      bucket: 'SMA-2',
      status: 'ACTIVE',
      source: 'IMPORT',
      collectorId,
      tags: ['vip', 'pune'],
      notes: 'moved from the old sheet',
      borrower: {
        customerRef: 'CUST-G1',
        name: 'Ravi Kumar',
        phone: '+919876543210',
        email: 'ravi@example.com',
        address: '12 MG Road, Pune',
        pinCode: '411001',
        language: 'hi',
      },
    });
    const expected = generateEmiSchedule({
      principalPaise: 12_000_000,
      annualRateBps: 1_200,
      tenureMonths: 12,
      firstDueOn: '2026-01-10',
    });
    expect(g1.installments.map((inst) => [inst.dueOn, inst.principalDuePaise, inst.interestDuePaise])).toEqual(
      expected.map((inst) => [inst.dueOn, inst.principalPaise, inst.interestPaise]),
    );

    const g2 = await loanByNumber('G-2');
    expect(g2).toMatchObject({ dpd: 5, bucket: 'SMA-0', borrower: { phone: '+919876543211', language: 'en' } });
    expect(g2.installments.slice(0, 3).map((inst) => inst.status)).toEqual(['PAID', 'PAID', 'OVERDUE']);

    const g3 = await loanByNumber('G-3');
    expect(g3).toMatchObject({ principalPaise: 5_000_050, annualRateBps: 1_450, tenureMonths: 6, dpd: 0, bucket: 'CURRENT' });
    expect(g3.installments).toHaveLength(6);

    const audit = await database.db
      .selectFrom('audit_log')
      .select(['action', 'actor_type', 'actor_id', 'request_id'])
      .where('request_id', '=', 'import-test-good')
      .execute();
    expect(audit).toHaveLength(3);
    expect(audit.every((entry) => entry.action === 'LOAN_CREATED' && entry.actor_id === 'import')).toBe(true);
  });

  it('takes schedules from a separate CSV file as given', async () => {
    const file = await writeBookCsv(scratch, 'with-schedule.csv', [
      loan('S-1', { principal: '30,000', tenure_months: 3, disbursed_on: '05-12-2025', paid_to_date: '10,300' }),
      loan('S-2', { disbursed_on: '2026-01-20' }),
    ]);
    const scheduleFile = await writeScheduleCsv(scratch, 'schedule.csv', [
      { loan_number: 'S-1', installment_no: 3, due_on: '05/03/2026', principal: '10,000', interest: '100' },
      { loan_number: 'S-1', installment_no: 1, due_on: '2026-01-05', principal: '10,000', interest: '300' },
      { loan_number: 'S-1', installment_no: 2, due_on: '05-02-2026', principal: '10,000', interest: '200.00' },
    ]);

    const report = await importBook(database.db, importOptions(file, { scheduleFile }));

    expect(report).toMatchObject({ outcome: 'IMPORTED', rows: { read: 2, valid: 2, imported: 2 }, scheduleRows: 3 });
    const s1 = await loanByNumber('S-1');
    expect(
      s1.installments.map((inst) => [inst.seq, inst.dueOn, inst.principalDuePaise, inst.interestDuePaise, inst.status]),
    ).toEqual([
      [1, '2026-01-05', 1_000_000, 30_000, 'PAID'],
      [2, '2026-02-05', 1_000_000, 20_000, 'OVERDUE'],
      [3, '2026-03-05', 1_000_000, 10_000, 'OVERDUE'],
    ]);
    // The second installment, due 5 February, is the oldest unpaid: 38 days on 15 March.
    expect(s1).toMatchObject({ firstDueOn: '2026-01-05', dpd: 38, bucket: 'SMA-1' });
    expect((await loanByNumber('S-2')).installments).toHaveLength(12);
  });

  it('changes nothing when the same file is imported again', async () => {
    const file = await writeBookCsv(scratch, 'again.csv', [loan('R-1'), loan('R-2', { customer_ref: 'CUST-R2' })]);
    const scheduleFile = await writeScheduleCsv(scratch, 'again-schedule.csv', [
      { loan_number: 'R-1', installment_no: 1, due_on: '2026-01-10', principal: '60,000', interest: '1,200' },
      { loan_number: 'R-1', installment_no: 2, due_on: '2026-02-10', principal: '60,000', interest: '600' },
    ]);
    const first = await importBook(database.db, importOptions(file, { scheduleFile }));
    expect(first.outcome).toBe('REJECTED');
    expect(lines(first)).toEqual(['row 2: schedule has 2 installments but tenure_months is 12']);

    const fixed = await writeBookCsv(scratch, 'again.csv', [loan('R-1', { tenure_months: 2 }), loan('R-2', { customer_ref: 'CUST-R2' })]);
    expect((await importBook(database.db, importOptions(fixed, { scheduleFile }))).rows.imported).toBe(2);
    const before = await bookCounts(database.db);

    const again = await importBook(database.db, importOptions(fixed, { scheduleFile }));

    expect(again).toMatchObject({
      outcome: 'IMPORTED',
      rows: { read: 2, valid: 0, invalid: 0, alreadyInBook: 2, imported: 0 },
      issueCount: 0,
    });
    expect(await bookCounts(database.db)).toEqual(before);
  });

  it('skips a loan number the book already has, without calling it an error', async () => {
    await createLoan(
      database.db,
      {
        loanNumber: 'B-1',
        borrower: { name: 'Already Here', phone: '+919812345678', language: 'en' },
        principalPaise: 5_000_000,
        annualRateBps: 1_000,
        tenureMonths: 6,
        disbursedOn: '2026-01-01',
      },
      { actor: { type: 'system', id: 'test' }, today: TODAY, bucketTable: DEFAULT_BUCKET_TABLE, source: 'API' },
    );
    // The book's B-1 stands; its row here is not even checked (its date is wrong).
    const file = await writeBookCsv(scratch, 'in-book.csv', [loan('B-1', { disbursed_on: '31/02/2026' }), loan('B-2')]);

    const report = await importBook(database.db, importOptions(file));

    expect(report).toMatchObject({
      outcome: 'IMPORTED',
      rows: { read: 2, valid: 1, invalid: 0, alreadyInBook: 1, imported: 1 },
      issueCount: 0,
    });
    expect((await loanByNumber('B-1')).principalPaise).toBe(5_000_000);
    expect((await loanByNumber('B-2')).source).toBe('IMPORT');
  });

  it('puts a loan whose customer_ref the book knows under that borrower, keeping their details', async () => {
    const existing = await createLoan(
      database.db,
      {
        loanNumber: 'CR-0',
        borrower: { customerRef: 'CUST-CR', name: 'Meena Iyer', phone: '+919811111111', language: 'hi' },
        principalPaise: 5_000_000,
        annualRateBps: 1_000,
        tenureMonths: 6,
        disbursedOn: '2026-01-01',
      },
      { actor: { type: 'system', id: 'test' }, today: TODAY, bucketTable: DEFAULT_BUCKET_TABLE, source: 'API' },
    );
    const file = await writeBookCsv(scratch, 'known-borrower.csv', [
      loan('CR-1', { customer_ref: 'CUST-CR', borrower_name: 'M. Iyer', phone: '9822222222' }),
    ]);

    expect((await importBook(database.db, importOptions(file))).rows.imported).toBe(1);

    expect((await loanByNumber('CR-1')).borrower).toMatchObject({
      id: existing.borrowerId,
      name: 'Meena Iyer',
      phone: '+919811111111',
    });
  });

  it('lists the first maxIssues problems and counts them all', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => loan(`MX-${i}`, { principal: 'lots' }));
    const file = await writeBookCsv(scratch, 'many-errors.csv', rows);
    const report = await importBook(database.db, importOptions(file, { maxIssues: 2 }));
    expect(report).toMatchObject({ outcome: 'REJECTED', issueCount: 5, rows: { invalid: 5 } });
    expect(report.issues.map((issue) => issue.row)).toEqual([2, 3]);
  });

  it('imports nothing from a file with any error, and lists each by row and column', async () => {
    const before = await bookCounts(database.db);
    const scheduleTotal = generateEmiSchedule({
      principalPaise: 12_000_000,
      annualRateBps: 1_200,
      tenureMonths: 12,
      firstDueOn: '2026-01-10',
    }).reduce((sum, inst) => sum + inst.principalPaise + inst.interestPaise, 0);
    const file = await writeBookCsv(scratch, 'errors.csv', [
      loan('E-1'),
      loan('E-2', { disbursed_on: '31/02/2026' }),
      loan('E-3', { principal: 'one lakh', annual_rate: 'high', tenure_months: '12.5' }),
      loan('E-4', { phone: '12345', email: 'not-an-email', pin_code: '0110', language: 'fr' }),
      loan('E-5', { collector_code: 'C77' }),
      loan('E-6', { collector_code: 'C09', first_due_on: 'next month' }),
      loan('E-7', { borrower_name: '', principal: '500' }),
      loan('E 8', { disbursed_on: '2026-03-16' }),
      loan('E-9', { first_due_on: '2025-12-01' }),
      loan('E-10', { principal: '1,20,000.505', paid_to_date: '-5' }),
      loan('E-11', { paid_to_date: '5,00,000' }),
    ]);

    const report = await importBook(database.db, importOptions(file));

    expect(report.outcome).toBe('REJECTED');
    expect(report.rows).toEqual({ read: 11, valid: 1, invalid: 10, alreadyInBook: 0, imported: 0 });
    expect(lines(report)).toEqual([
      'row 3, column disbursed_on: must be a real date (got "31/02/2026")',
      'row 4, column principal: must be an amount in rupees such as 1,25,000.50 (got "one lakh")',
      'row 4, column annual_rate: must be a yearly rate in percent with at most 2 decimals, such as 14.5 (got "high")',
      'row 4, column tenure_months: must be a whole number (got "12.5")',
      'row 5, column phone: must be an Indian mobile number (10 digits starting 6-9, optional +91)',
      'row 5, column email: must be an e-mail address',
      'row 5, column pin_code: must be a 6-digit PIN code',
      'row 5, column language: must be one of en, hi',
      'row 6, column collector_code: no collector has the code "C77"',
      'row 7, column first_due_on: must be a date written YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (got "next month")',
      'row 7, column collector_code: collector C09 is not active',
      'row 8, column borrower_name: is required',
      'row 8, column principal: must be at least ₹1,000.00',
      'row 9, column loan_number: must be 1-40 letters, digits, / _ - (starting with a letter or digit)',
      'row 10, column first_due_on: must be after disbursed_on',
      'row 11, column principal: must have at most 2 decimals (got "1,20,000.505")',
      'row 11, column paid_to_date: must not be negative (got "-5")',
      `row 12, column paid_to_date: is more than the whole schedule (${formatRupees(scheduleTotal)})`,
    ]);
    expect(await bookCounts(database.db)).toEqual(before);
  });

  it('checks dates against today: a loan disbursed tomorrow is refused', async () => {
    const file = await writeBookCsv(scratch, 'future.csv', [loan('F-1', { disbursed_on: '16-03-2026' })]);
    const report = await importBook(database.db, importOptions(file));
    expect(lines(report)).toEqual(['row 2, column disbursed_on: must not be after today (2026-03-15)']);
  });

  it('refuses both rows of a loan number that appears twice in the file', async () => {
    const file = await writeBookCsv(scratch, 'duplicates.csv', [loan('D-1'), loan('D-2'), loan('D-1', { borrower_name: 'Someone Else' })]);
    const report = await importBook(database.db, importOptions(file));
    expect(report).toMatchObject({ outcome: 'REJECTED', rows: { read: 3, valid: 1, invalid: 2, imported: 0 } });
    expect(lines(report)).toEqual([
      'row 2, column loan_number: D-1 appears more than once in the file (rows 2, 4)',
      'row 4, column loan_number: D-1 appears more than once in the file (rows 2, 4)',
    ]);
    expect(await database.db.selectFrom('loans').select('id').where('loan_number', 'in', ['D-1', 'D-2']).execute()).toEqual([]);
  });

  it('imports the valid rows and lists the invalid ones with skipInvalid', async () => {
    const file = await writeBookCsv(scratch, 'partly.csv', [
      loan('P-1'),
      loan('P-2', { principal: '12,00,000/-' }),
      loan('P-3', { customer_ref: 'CUST-P3' }),
      loan('P-3', { customer_ref: 'CUST-P3' }),
    ]);

    const report = await importBook(database.db, importOptions(file, { skipInvalid: true }));

    expect(report).toMatchObject({ outcome: 'IMPORTED', rows: { read: 4, valid: 1, invalid: 3, imported: 1 }, issueCount: 3 });
    expect(lines(report)[0]).toBe('row 3, column principal: must be an amount in rupees such as 1,25,000.50 (got "12,00,000/-")');
    const imported = await database.db.selectFrom('loans').select('loan_number').where('loan_number', 'like', 'P-%').execute();
    expect(imported.map((row) => row.loan_number)).toEqual(['P-1']);
  });

  it('reports schedule problems against the schedule row or the loan they belong to', async () => {
    const file = await writeBookCsv(scratch, 'bad-schedule.csv', [
      loan('X-1', { principal: '30,000', tenure_months: 3 }),
      loan('X-2', { principal: '20,000', tenure_months: 2 }),
      loan('X-3', { principal: '20,000', tenure_months: 2 }),
      loan('X-4', { principal: '20,000', tenure_months: 2 }),
    ]);
    const scheduleFile = await writeScheduleCsv(scratch, 'bad-schedule-lines.csv', [
      // parts sum to 29,000, not 30,000
      { loan_number: 'X-1', installment_no: 1, due_on: '2026-01-10', principal: '10,000', interest: '300' },
      { loan_number: 'X-1', installment_no: 2, due_on: '2026-02-10', principal: '10,000', interest: '200' },
      { loan_number: 'X-1', installment_no: 3, due_on: '2026-03-10', principal: '9,000', interest: '100' },
      // due dates out of order
      { loan_number: 'X-2', installment_no: 1, due_on: '2026-02-10', principal: '10,000', interest: '0' },
      { loan_number: 'X-2', installment_no: 2, due_on: '2026-01-10', principal: '10,000', interest: '0' },
      // installment 1 twice, and a bad amount
      { loan_number: 'X-3', installment_no: 1, due_on: '2026-01-10', principal: '10,000', interest: '0' },
      { loan_number: 'X-3', installment_no: 1, due_on: '2026-02-10', principal: 'ten', interest: '0' },
      { loan_number: 'X-3', installment_no: 1, due_on: '2026-02-10', principal: '10,000', interest: '0' },
      // a loan the book file does not have
      { loan_number: 'X-9', installment_no: 1, due_on: '2026-01-10', principal: '10,000', interest: '0' },
    ]);

    const report = await importBook(database.db, importOptions(file, { scheduleFile }));

    expect(report).toMatchObject({ outcome: 'REJECTED', rows: { read: 4, valid: 1, invalid: 3 } });
    expect(lines(report)).toEqual([
      'row 2: schedule principal parts sum to ₹29,000.00, not principal ₹30,000.00',
      'row 4: its schedule has errors (schedule rows 7, 8, 9)',
      'schedule row 6, column due_on: must be after the previous installment’s due_on',
      'schedule row 7, column installment_no: installment 1 of X-3 is on more than one row (rows 7, 9)',
      'schedule row 8, column principal: must be an amount in rupees such as 1,25,000.50 (got "ten")',
      'schedule row 9, column installment_no: installment 1 of X-3 is on more than one row (rows 7, 9)',
      'schedule row 10, column loan_number: X-9 is not a loan_number in bad-schedule.csv',
    ]);
  });

  describe('files that are not a book', () => {
    it('names every required column the header lacks', async () => {
      const file = await writeBookCsv(
        scratch,
        'columns.csv',
        [{ loan_number: 'M-1', borrower_name: 'A', phone: '9876543210', disbursed_on: '2026-01-01' }],
        ['Loan Number', 'BORROWER-NAME', 'phone', 'disbursed on', 'Remarks'],
      );
      const report = await importBook(database.db, importOptions(file));
      expect(report.outcome).toBe('REJECTED');
      expect(lines(report)).toEqual([
        'columns.csv has no column principal, which is required (the header is row 1)',
        'columns.csv has no column annual_rate, which is required (the header is row 1)',
        'columns.csv has no column tenure_months, which is required (the header is row 1)',
      ]);
      expect(report.ignoredColumns).toEqual([{ sheet: 'loans', column: 'Remarks' }]);
    });

    it('says so when a file is separated by semicolons', async () => {
      const file = scratch.path('semicolons.csv');
      await writeFile(file, 'loan_number;borrower_name;phone;principal;annual_rate;tenure_months;disbursed_on\nSC-1;A;9876543210;1000;12;12;2026-01-01\n');
      const report = await importBook(database.db, importOptions(file));
      expect(report.issueCount).toBe(8);
      expect(lines(report).at(-1)).toBe('semicolons.csv looks separated by semicolons or tabs; save it with commas (Excel: "CSV UTF-8")');
    });

    it('refuses an empty file, a header with no rows, and a file of blank lines', async () => {
      const empty = scratch.path('empty.csv');
      await writeFile(empty, '');
      expect(lines(await importBook(database.db, importOptions(empty)))).toEqual(['empty.csv is empty']);

      const headerOnly = await writeBookCsv(scratch, 'header-only.csv', []);
      expect(lines(await importBook(database.db, importOptions(headerOnly)))).toEqual([
        'header-only.csv has no loans: there are no rows below the header (row 1)',
      ]);

      const blank = scratch.path('blank.csv');
      await writeFile(blank, '\n\n,,,\n');
      expect(lines(await importBook(database.db, importOptions(blank)))).toEqual([
        'blank.csv is empty: it has no header row and no loans',
      ]);
    });

    it('refuses files of the wrong type with a sentence, not a parser error', async () => {
      const text = scratch.path('book.txt');
      await writeFile(text, 'loan_number\nL-1\n');
      const pdf = scratch.path('book.csv');
      await writeFile(pdf, '%PDF-1.7\n%âãÏÓ\n1 0 obj\n');
      const zip = scratch.path('workbook.csv');
      await writeFile(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]));
      const binary = scratch.path('binary.csv');
      await writeFile(binary, Buffer.from([0x6c, 0x6f, 0x61, 0x6e, 0x00, 0x01, 0x02]));

      const messages = [];
      for (const file of [text, pdf, zip, binary, scratch.path('missing.csv')]) {
        const report = await importBook(database.db, importOptions(file));
        expect(report.outcome).toBe('REJECTED');
        messages.push(...lines(report));
      }
      expect(messages).toEqual([
        'book.txt is a .txt file; the import reads .xlsx workbooks and .csv files',
        'book.csv is a PDF document, not a CSV file',
        'workbook.csv is a zip archive (perhaps an xlsx workbook renamed .csv), not a CSV file',
        'binary.csv is not a text file, so not a CSV file',
        'missing.csv cannot be opened: no such file',
      ]);
    });

    it('reports a CSV that cannot be parsed with its line', async () => {
      const file = scratch.path('quote.csv');
      await writeFile(file, 'loan_number,borrower_name\nQ-1,"unclosed\n');
      const report = await importBook(database.db, importOptions(file));
      expect(report.outcome).toBe('REJECTED');
      expect(lines(report)).toEqual([
        'quote.csv could not be read as CSV: Quote Not Closed: the parsing is finished with an opening quote at line 2',
      ]);
    });
  });
});
