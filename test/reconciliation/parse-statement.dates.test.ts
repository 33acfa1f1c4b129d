import { describe, expect, it } from 'vitest';
import { LAYOUT_PRESETS, parseAmount, parseStatement, parseStatementDate, resolveLayout } from '@loanops/reconciliation';

describe('statement dates', () => {
  it.each([
    ['05/04/2026', '2026-04-05'],
    ['5/4/2026', '2026-04-05'],
    ['05-04-2026', '2026-04-05'],
    ['05/04/26', '2026-04-05'],
    ['05-Apr-2026', '2026-04-05'],
    ['05-APR-2026', '2026-04-05'],
    ['5 Apr 2026', '2026-04-05'],
    ['05-Apr-26', '2026-04-05'],
    ['2026-04-05', '2026-04-05'],
    ['31/03/2026', '2026-03-31'],
  ])('reads %s as %s (day first, whatever the server zone)', (text, date) => {
    expect(parseStatementDate(text)).toBe(date);
  });

  it.each(['31/02/2026', '2026/13/01', 'yesterday', '', '13-Foo-2026'])('refuses %j', (text) => {
    expect(parseStatementDate(text)).toBeNull();
  });
});

describe('statement amounts', () => {
  it.each([
    ['1,23,456.78', 'credit', { kind: 'credit', paise: 12_345_678 }],
    ['₹ 500', 'credit', { kind: 'credit', paise: 50_000 }],
    ['INR 500.5', 'credit', { kind: 'credit', paise: 50_050 }],
    ['500.00 Cr', 'signed', { kind: 'credit', paise: 50_000 }],
    ['500.00 Dr', 'signed', { kind: 'debit', paise: 50_000 }],
    ['-500', 'signed', { kind: 'debit', paise: 50_000 }],
    ['2,000', 'debit', { kind: 'debit', paise: 200_000 }],
    ['', 'credit', { kind: 'empty' }],
    ['0.00', 'credit', { kind: 'empty' }],
    ['12.345', 'credit', { kind: 'bad' }],
    ['five', 'credit', { kind: 'bad' }],
  ] as const)('%j as %s → %j', (text, direction, expected) => {
    expect(parseAmount(text, direction)).toEqual(expected);
  });
});

describe('parseStatement', () => {
  it('finds the header below the bank’s preamble, takes credits, skips debits and blank rows', () => {
    const text = [
      'HDFC BANK Ltd.,,,,,,',
      'Account No: 50100012345678,,,,,,',
      '',
      'Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance',
      '01/04/26,NEFT CR-SBIN0001234-RAVI,SBIN126091234567,01/04/26,,"1,100.00","10,100.00"',
      '02/04/26,ATM WDL,000000000001,02/04/26,500.00,,"9,600.00"',
      ',,,,,,',
      '03/04/26,IMPS-P2A-608123456789,608123456789,03/04/26,,"2,200.50","11,800.50"',
    ].join('\n');
    const parsed = parseStatement(text, LAYOUT_PRESETS.hdfc);
    expect(parsed.problems).toEqual([]);
    expect(parsed.debitsSkipped).toBe(1);
    expect(parsed.lines).toEqual([
      { row: 5, valueDate: '2026-04-01', reference: 'SBIN126091234567', utr: 'SBIN126091234567', amountPaise: 110_000, narration: 'NEFT CR-SBIN0001234-RAVI' },
      { row: 8, valueDate: '2026-04-03', reference: '608123456789', utr: '608123456789', amountPaise: 220_050, narration: 'IMPS-P2A-608123456789' },
    ]);
  });

  it('reports every bad row with its row and field', () => {
    const text = [
      'value_date,utr,amount',
      '2026-04-01,UTRGOOD0000001,100.00',
      '31/02/2026,UTRGOOD0000002,100.00',
      '2026-04-01,short,100.00',
      '2026-04-01,UTRGOOD0000001,1.234',
      '2026-04-01,,',
      '2026-04-01,00000UTRGOOD0000003,100.00',
      '2026-04-01,UTRGOOD0000003,100.00',
    ].join('\n');
    const parsed = parseStatement(text, LAYOUT_PRESETS.simple);
    expect(parsed.problems).toEqual([
      { row: 3, column: 'valueDate', message: '"31/02/2026" is not a date (DD/MM/YYYY, DD-MMM-YYYY or YYYY-MM-DD)' },
      { row: 5, column: 'amount', message: '"1.234" is not an amount in rupees' },
      { row: 5, column: 'utr', message: 'UTRGOOD0000001 is already on row 2' },
      { row: 6, column: 'amount', message: 'is empty' },
    ]);
    // A reference that is no UTR is not wrong (see statement-references.test.ts); leading zeros
    // before letters are the reference's own, so row 8 is another UTR than row 7.
    expect(parsed.lines.map((line) => [line.row, line.utr])).toEqual([
      [2, 'UTRGOOD0000001'],
      [4, null],
      [7, '00000UTRGOOD0000003'],
      [8, 'UTRGOOD0000003'],
    ]);
  });

  it('names the missing columns when no header row matches, and takes a mapping of its own', () => {
    const text = 'Txn Date,Ref,Credit Amount,Debit Amount\n05-Apr-2026,UTRMAPPED00001,"5,000.00",\n';
    expect(parseStatement(text, LAYOUT_PRESETS['credit-debit']).problems).toEqual([
      { row: 1, column: 'file', message: 'no header row with the columns "Value Date", "UTR", "Credit" in the first 50 rows' },
    ]);
    const layout = resolveLayout({ layout: 'credit-debit', valueDate: 'Txn Date', utr: 'Ref', credit: 'Credit Amount', debit: 'Debit Amount' });
    expect(parseStatement(text, layout).lines).toEqual([
      { row: 2, valueDate: '2026-04-05', reference: 'UTRMAPPED00001', utr: 'UTRMAPPED00001', amountPaise: 500_000, narration: null },
    ]);
  });

  it('refuses a row with both credit and debit, or neither', () => {
    const text = 'Value Date,UTR,Credit,Debit\n05/04/2026,UTRBOTH0000001,100,100\n05/04/2026,UTRNONE0000001,,\n';
    expect(parseStatement(text, LAYOUT_PRESETS['credit-debit']).problems).toEqual([
      { row: 2, column: 'credit', message: 'both credit and debit are filled' },
      { row: 3, column: 'credit', message: 'neither credit nor debit is filled' },
    ]);
  });
});
