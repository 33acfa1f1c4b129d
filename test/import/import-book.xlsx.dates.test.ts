import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAN_COLUMNS, SCHEDULE_COLUMNS, formatIssue, getLoan, importBook, readWorkbookSheets, type ImportReport } from '@loanops/loan-book';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { TODAY, bookCounts, importOptions, loan, reorderParts, scratchDir, writeWorkbook, type Scratch } from './book-files.js';

/**
 * xlsx books: real date and number cells. Named *.dates.test.ts so it also runs with the process
 * in America/Los_Angeles: a date cell must read as the date the sheet shows in any TZ.
 */

const lines = (report: ImportReport) => report.issues.map(formatIssue);

/** Each sheet a workbook read gives: its name, the role it was given, and how many rows it held. */
async function sheetsOf(file: string) {
  const sheets = [];
  for await (const sheet of readWorkbookSheets(file)) {
    let rows = 0;
    for await (const _row of sheet.rows) rows += 1;
    sheets.push({ name: sheet.name, role: sheet.role, rows });
  }
  return sheets;
}
const utc = (year: number, month: number, day: number, hour = 0) => new Date(Date.UTC(year, month - 1, day, hour));

describe('importBook from xlsx', () => {
  let database: TestDatabase;
  let scratch: Scratch;

  beforeAll(async () => {
    database = await createTestDatabase();
    scratch = await scratchDir();
  });
  afterAll(async () => {
    await scratch.remove();
    await database.drop();
  });

  async function loanByNumber(loanNumber: string) {
    const row = await database.db.selectFrom('loans').select('id').where('loan_number', '=', loanNumber).executeTakeFirstOrThrow();
    return getLoan(database.db, row.id, TODAY);
  }

  it('reads the loans and schedule sheets, with date, number and formula cells', async () => {
    const file = await writeWorkbook(scratch, 'book.xlsx', [
      { name: 'Read me', header: ['This sheet explains the book'], rows: [] },
      {
        name: 'Loans',
        header: LOAN_COLUMNS,
        rows: [
          loan('XL-1', {
            phone: 9876543210,
            pin_code: 411001,
            principal: 125000.5,
            annual_rate: 14.5,
            tenure_months: 12,
            // Late evening UTC: still 10 December in the sheet.
            disbursed_on: utc(2025, 12, 10, 23),
          }),
          loan('XL-2', {
            principal: 30000,
            // A cell formatted as a percentage holds 0.145 and shows 14.5%.
            annual_rate: { percent: 0.145 },
            tenure_months: 3,
            disbursed_on: utc(2025, 12, 5),
            paid_to_date: 10300,
          }),
          // A date serial number with no date format: 46000 is 2025-12-09.
          loan('XL-3', { disbursed_on: 46000, principal: { formula: '100000+20000', result: 120000 } }),
        ],
      },
      {
        name: 'Schedule',
        header: SCHEDULE_COLUMNS,
        rows: [
          { loan_number: 'XL-2', installment_no: 1, due_on: utc(2026, 1, 5), principal: 10000, interest: 300 },
          { loan_number: 'XL-2', installment_no: 2, due_on: utc(2026, 2, 5), principal: 10000, interest: 200 },
          { loan_number: 'XL-2', installment_no: 3, due_on: '05/03/2026', principal: '10,000', interest: 100 },
        ],
      },
    ]);

    const report = await importBook(database.db, importOptions(file));

    expect(report).toMatchObject({
      outcome: 'IMPORTED',
      format: 'xlsx',
      rows: { read: 3, valid: 3, invalid: 0, alreadyInBook: 0, imported: 3 },
      scheduleRows: 3,
      issues: [],
    });
    expect(report.ignoredColumns).toEqual([]);
    expect(await loanByNumber('XL-1')).toMatchObject({
      principalPaise: 12_500_050,
      annualRateBps: 1_450,
      disbursedOn: '2025-12-10',
      firstDueOn: '2026-01-10',
      dpd: 64,
      bucket: 'SMA-2',
      borrower: { phone: '+919876543210', pinCode: '411001' },
    });
    const xl2 = await loanByNumber('XL-2');
    expect(xl2).toMatchObject({ annualRateBps: 1_450, disbursedOn: '2025-12-05', firstDueOn: '2026-01-05', dpd: 38, bucket: 'SMA-1' });
    expect(xl2.installments.map((inst) => [inst.dueOn, inst.principalDuePaise, inst.interestDuePaise, inst.status])).toEqual([
      ['2026-01-05', 1_000_000, 30_000, 'PAID'],
      ['2026-02-05', 1_000_000, 20_000, 'OVERDUE'],
      ['2026-03-05', 1_000_000, 10_000, 'OVERDUE'],
    ]);
    expect(await loanByNumber('XL-3')).toMatchObject({ disbursedOn: '2025-12-09', principalPaise: 12_000_000 });

    const before = await bookCounts(database.db);
    const again = await importBook(database.db, importOptions(file));
    expect(again).toMatchObject({ outcome: 'IMPORTED', rows: { read: 3, alreadyInBook: 3, imported: 0 } });
    expect(await bookCounts(database.db)).toEqual(before);
  });

  it('reads the first sheet when none is named loans', async () => {
    const file = await writeWorkbook(scratch, 'first-sheet.xlsx', [
      { name: 'March book', header: LOAN_COLUMNS, rows: [loan('FS-1', { disbursed_on: utc(2026, 1, 31) })] },
      { name: 'Notes', header: ['anything'], rows: [{ anything: 'ignored' }] },
    ]);
    const report = await importBook(database.db, importOptions(file));
    expect(report).toMatchObject({ outcome: 'IMPORTED', rows: { imported: 1 } });
    expect(await loanByNumber('FS-1')).toMatchObject({ disbursedOn: '2026-01-31', firstDueOn: '2026-02-28' });
  });

  it('points at the row and column of bad cells, sheet by sheet', async () => {
    const before = await bookCounts(database.db);
    const file = await writeWorkbook(scratch, 'bad-cells.xlsx', [
      {
        name: 'loans',
        header: LOAN_COLUMNS,
        rows: [
          loan('BC-1', { principal: 1000.005 }),
          loan('BC-2', { principal: 'ten thousand', disbursed_on: '31/02/2026' }),
          loan('BC-3', { disbursed_on: 20260101, first_due_on: 'soon' }),
          loan('BC-4'),
        ],
      },
      {
        name: 'schedule',
        header: SCHEDULE_COLUMNS,
        rows: [{ loan_number: 'BC-4', installment_no: 'one', due_on: utc(2026, 1, 10), principal: 120000, interest: -1 }],
      },
    ]);

    const report = await importBook(database.db, importOptions(file));

    expect(report).toMatchObject({ outcome: 'REJECTED', rows: { read: 4, valid: 0, invalid: 4, imported: 0 } });
    expect(lines(report)).toEqual([
      'row 2, column principal: must have at most 2 decimals (got 1000.005); round it in the sheet',
      'row 3, column principal: must be an amount in rupees such as 1,25,000.50 (got "ten thousand")',
      'row 3, column disbursed_on: must be a real date (got "31/02/2026")',
      'row 4, column disbursed_on: must be a date written YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (got 20260101)',
      'row 4, column first_due_on: must be a date written YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (got "soon")',
      'row 5: its schedule has errors (schedule rows 2)',
      'schedule row 2, column installment_no: must be a whole number (got "one")',
      'schedule row 2, column interest: must not be negative (got -1)',
    ]);
    expect(await bookCounts(database.db)).toEqual(before);
  });

  it('names the sheet a required column is missing from', async () => {
    const file = await writeWorkbook(scratch, 'no-interest.xlsx', [
      { name: 'loans', header: LOAN_COLUMNS, rows: [loan('NI-1')] },
      { name: 'schedule', header: ['loan_number', 'installment_no', 'due_on', 'principal'], rows: [] },
    ]);
    const report = await importBook(database.db, importOptions(file));
    expect(report.outcome).toBe('REJECTED');
    expect(lines(report)).toEqual([
      'sheet "schedule" of no-interest.xlsx has no column interest, which is required (the header is row 1)',
    ]);
  });

  it('refuses a workbook with no loans sheet, or an empty one', async () => {
    const onlySchedule = await writeWorkbook(scratch, 'only-schedule.xlsx', [
      { name: 'schedule', header: SCHEDULE_COLUMNS, rows: [] },
    ]);
    expect(lines(await importBook(database.db, importOptions(onlySchedule)))).toEqual([
      'only-schedule.xlsx has no sheet to read loans from',
    ]);
    const empty = await writeWorkbook(scratch, 'empty-sheet.xlsx', [{ name: 'loans', header: [], rows: [] }]);
    expect(lines(await importBook(database.db, importOptions(empty)))).toEqual([
      'sheet "loans" of empty-sheet.xlsx is empty: it has no header row and no loans',
    ]);
  });

  it('says what a file is when it is not an xlsx workbook', async () => {
    const pdf = scratch.path('statement.xlsx');
    await writeFile(pdf, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n');
    const csv = scratch.path('really-csv.xlsx');
    await writeFile(csv, 'loan_number,borrower_name\nL-1,A\n');
    const legacy = scratch.path('old.xls');
    await writeFile(legacy, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]));
    const renamedLegacy = scratch.path('old-renamed.xlsx');
    await writeFile(renamedLegacy, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]));

    const messages = [];
    for (const file of [pdf, csv, legacy, renamedLegacy]) messages.push(...lines(await importBook(database.db, importOptions(file))));
    expect(messages).toEqual([
      'statement.xlsx is a PDF document, not an xlsx workbook',
      'really-csv.xlsx is not an xlsx workbook (an .xlsx file is a zip archive, and this one is not)',
      'old.xls is an old-style .xls workbook; save it as .xlsx (Excel Workbook) or as .csv',
      'old-renamed.xlsx is an old-style Office file (such as .xls) renamed .xlsx; save it as .xlsx or .csv',
    ]);
  });

  it('reports a damaged workbook in one sentence', async () => {
    const good = await writeWorkbook(scratch, 'whole.xlsx', [{ name: 'loans', header: LOAN_COLUMNS, rows: [loan('DM-1')] }]);
    const bytes = await readFile(good);
    const truncated = scratch.path('truncated.xlsx');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const scrambled = scratch.path('scrambled.xlsx');
    const copy = Buffer.from(bytes);
    copy.fill(0x41, 200, 1_200);
    await writeFile(scrambled, copy);

    for (const file of [truncated, scrambled]) {
      const report = await importBook(database.db, importOptions(file));
      expect(report.outcome).toBe('REJECTED');
      expect(report.issues).toHaveLength(1);
      expect(formatIssue(report.issues[0] ?? { sheet: null, row: null, column: null, message: '' })).toMatch(
        /^(truncated|scrambled)\.xlsx could not be read as an xlsx workbook \(.+\); is it damaged\?$/,
      );
    }
    expect(await database.db.selectFrom('loans').select('id').where('loan_number', '=', 'DM-1').execute()).toEqual([]);
  });

  it('reads every sheet whatever order its parts are stored in, and keeps names in any script whole', async () => {
    // Thousands of distinct Devanagari and Tamil names fill the shared-strings part past many read
    // chunks, so some chunk boundaries fall inside a character's bytes.
    const names = Array.from({ length: 3_000 }, (_, index) =>
      index % 2 === 0 ? `सुनीता देवी शर्मा ${index}` : `முருகன் செல்வராஜ் ${index}`,
    );
    const file = await writeWorkbook(scratch, 'scripts.xlsx', [
      { name: 'Read me', header: ['This sheet explains the book'], rows: [] },
      {
        name: 'loans',
        header: LOAN_COLUMNS,
        rows: names.map((name, index) => loan(`SC-${index}`, { borrower_name: name, tenure_months: 3 })),
      },
      {
        name: 'schedule',
        header: SCHEDULE_COLUMNS,
        rows: [
          { loan_number: 'SC-0', installment_no: 1, due_on: '10/01/2026', principal: 40000, interest: 1200 },
          { loan_number: 'SC-0', installment_no: 2, due_on: '10/02/2026', principal: 40000, interest: 800 },
          { loan_number: 'SC-0', installment_no: 3, due_on: '10/03/2026', principal: 40000, interest: 400 },
        ],
      },
    ]);
    // Stored with the sheets before the list that names them, and the second sheet first; the
    // shared strings and relationships before both, so nothing asks for a sheet to wait.
    const rank = (part: string) =>
      [/_rels\//, /sharedStrings/, /styles/, /sheet3\.xml/, /sheet2\.xml/, /sheet1\.xml/, /workbook\.xml$/].findIndex((pattern) =>
        pattern.test(part),
      );
    const stored = await reorderParts(file, rank);
    expect(stored.slice(-4)).toEqual(['xl/worksheets/sheet3.xml', 'xl/worksheets/sheet2.xml', 'xl/worksheets/sheet1.xml', 'xl/workbook.xml']);
    // Read three times: each read must find the same sheets, named as the workbook names them.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(await sheetsOf(file)).toEqual([
        { name: 'Read me', role: null, rows: 1 },
        { name: 'loans', role: 'loans', rows: 3_001 },
        { name: 'schedule', role: 'schedule', rows: 4 },
      ]);
    }

    const report = await importBook(database.db, importOptions(file));
    expect(report).toMatchObject({ outcome: 'IMPORTED', rows: { imported: 3_000 }, scheduleRows: 3, issues: [] });
    const imported = await database.db
      .selectFrom('loans')
      .innerJoin('borrowers', 'borrowers.id', 'loans.borrower_id')
      .select(['loans.loan_number', 'borrowers.name'])
      .where('loans.loan_number', 'like', 'SC-%')
      .execute();
    const byNumber = new Map(imported.map((row) => [row.loan_number, row.name]));
    expect(names.filter((name, index) => byNumber.get(`SC-${index}`) !== name)).toEqual([]);
  });

  it('refuses a separate schedule file for an xlsx book', async () => {
    const file = await writeWorkbook(scratch, 'with-file.xlsx', [{ name: 'loans', header: LOAN_COLUMNS, rows: [loan('SF-1')] }]);
    const report = await importBook(database.db, importOptions(file, { scheduleFile: scratch.path('schedule.csv') }));
    expect(lines(report)).toEqual([
      'an xlsx book carries its schedules on a sheet named "schedule"; a separate schedule file is for CSV books',
    ]);
  });
});
