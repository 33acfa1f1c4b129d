import { describe, expect, it } from 'vitest';
import { LAYOUT_PRESETS, matchLine, parseStatement, type CandidatePayment, type StatementLine } from '@loanops/reconciliation';

const SBI_HEADER = 'Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance';

describe('credits whose reference is no UTR', () => {
  it('are taken with no UTR, beside credits whose UTR is written padded, spaced or in lower case', () => {
    const text = [
      'State Bank of India,,,,,,',
      SBI_HEADER,
      '01/05/2026,01/05/2026,INT.PD:01-04-2026 TO 30-04-2026,,,12.34,"10,012.34"',
      '02/05/2026,02/05/2026,CASH DEPOSIT SELF,CASH DEP,,"5,000.00","15,012.34"',
      '02/05/2026,02/05/2026,CLG CHQ DEP,000123,,"2,500.00","17,512.34"',
      '03/05/2026,03/05/2026,BY TRANSFER-IMPS,0000608123456789,,"1,000.00","18,512.34"',
      '03/05/2026,03/05/2026,BY TRANSFER-NEFT,sbin 1260 9123 4567,,500.00,"19,012.34"',
      '04/05/2026,04/05/2026,ATM WDL,,200.00,,"18,812.34"',
    ].join('\n');
    const parsed = parseStatement(text, LAYOUT_PRESETS.sbi);
    expect(parsed.problems).toEqual([]);
    expect(parsed.debitsSkipped).toBe(1);
    expect(parsed.lines.map(({ row, reference, utr, amountPaise }) => ({ row, reference, utr, amountPaise }))).toEqual([
      { row: 3, reference: '', utr: null, amountPaise: 1_234 },
      { row: 4, reference: 'CASH DEP', utr: null, amountPaise: 500_000 },
      { row: 5, reference: '000123', utr: null, amountPaise: 250_000 },
      { row: 6, reference: '0000608123456789', utr: '608123456789', amountPaise: 100_000 },
      { row: 7, reference: 'sbin 1260 9123 4567', utr: 'SBIN126091234567', amountPaise: 50_000 },
    ]);
  });

  it('still need a right date and amount, and several of them may repeat a reference', () => {
    const text = [
      SBI_HEADER,
      '01/05/2026,31/04/2026,INTEREST,,,12.34,',
      '01/05/2026,01/05/2026,INTEREST,,,12.345,',
      '01/05/2026,01/05/2026,CHQ DEP,000123,,100.00,',
      '02/05/2026,02/05/2026,CHQ DEP,000123,,100.00,',
    ].join('\n');
    const parsed = parseStatement(text, LAYOUT_PRESETS.sbi);
    expect(parsed.problems).toEqual([
      { row: 2, column: 'valueDate', message: '"31/04/2026" is not a date (DD/MM/YYYY, DD-MMM-YYYY or YYYY-MM-DD)' },
      { row: 3, column: 'credit', message: '"12.345" is not an amount in rupees' },
    ]);
    expect(parsed.lines.map((line) => line.row)).toEqual([4, 5]);
  });

  it('take one UTR written twice, padded and plain, as the same UTR on two rows', () => {
    const text = ['value_date,utr,amount', '2026-05-03,608123456789,100', '2026-05-03,0000 6081 2345 6789,100'].join('\n');
    expect(parseStatement(text, LAYOUT_PRESETS.simple).problems).toEqual([{ row: 3, column: 'utr', message: '608123456789 is already on row 2' }]);
  });
});

describe('rows with another number of cells than the header row', () => {
  it('are refused whatever they hold, debits too, naming the row; empty cells past the header are no harm', () => {
    const text = [
      SBI_HEADER,
      '01/05/2026,01/05/2026,INTEREST,,,12.34',
      '02/05/2026,02/05/2026,NEFT CR,SBIN126091234567,,500.00,"1,000.00",extra',
      '03/05/2026,03/05/2026,ATM WDL,,200.00',
      '04/05/2026,04/05/2026,NEFT CR,SBIN126091234568,,500.00,"1,500.00",,',
    ].join('\n');
    const parsed = parseStatement(text, LAYOUT_PRESETS.sbi);
    expect(parsed.problems).toEqual([
      { row: 2, column: 'columns', message: 'has 6 cells where the header row has 7' },
      { row: 3, column: 'columns', message: 'has 8 cells where the header row has 7' },
      { row: 4, column: 'columns', message: 'has 5 cells where the header row has 7' },
    ]);
    expect(parsed.lines.map((line) => line.row)).toEqual([5]);
  });
});

describe('matchLine', () => {
  const line = (reference: string, utr: string | null, amountPaise = 100_000): StatementLine => ({
    row: 2,
    valueDate: '2026-05-03',
    reference,
    utr,
    amountPaise,
    narration: null,
  });
  const payment = (id: number, utr: string, amountPaise = 100_000, status: CandidatePayment['status'] = 'POSTED'): CandidatePayment => ({
    id,
    utr,
    status,
    amountPaise,
    valueDate: '2026-05-03',
    loanId: 7,
  });
  const none = { received: false, rejected: false };

  it.each([
    ['', 'no reference on the statement'],
    ['CASH DEP', 'the reference is not a UTR (12 to 22 letters and digits)'],
  ])('gives a line with reference %j no match: NO_UTR, %s', (reference, note) => {
    expect(matchLine(line(reference, null), [payment(1, '608123456789')], { received: true, rejected: false })).toEqual({
      outcome: 'NO_UTR',
      utr: null,
      payment: null,
      note,
    });
  });

  it('matches the one payment with the key, whichever way either side pads it', () => {
    expect(matchLine(line('0000608123456789', '608123456789'), [payment(1, '608123456789')], none)).toMatchObject({
      outcome: 'MATCHED',
      utr: '608123456789',
      payment: { id: 1 },
    });
    expect(matchLine(line('608123456789', '608123456789', 90_000), [payment(2, '00608123456789')], none)).toMatchObject({
      outcome: 'AMOUNT_MISMATCH',
      utr: '00608123456789',
      payment: { id: 2 },
      note: 'bank 90000 paise, posted 100000 paise',
    });
    expect(matchLine(line('608123456789', '608123456789'), [payment(3, '608123456789', 100_000, 'REVERSED')], none)).toMatchObject({
      outcome: 'IN_BANK_NOT_POSTED',
      payment: { id: 3 },
      note: 'the payment with this UTR was reversed',
    });
  });

  it('takes, of payments whose UTRs differ only in padding, the one written as the statement writes it, else none', () => {
    const both = [payment(1, '608123456789'), payment(2, '0000608123456789')];
    expect(matchLine(line('0000 6081 2345 6789', '608123456789'), both, none)).toMatchObject({ outcome: 'MATCHED', payment: { id: 2 } });
    expect(matchLine(line('00608123456789', '608123456789'), both, none)).toEqual({
      outcome: 'IN_BANK_NOT_POSTED',
      utr: '608123456789',
      payment: null,
      note: 'the UTR of 2 payments (608123456789, 0000608123456789); match by hand',
    });
  });

  it('says when a request with the UTR waits or was rejected', () => {
    expect(matchLine(line('608123456789', '608123456789'), [], { received: true, rejected: true }).note).toBe('received, waiting to be posted');
    expect(matchLine(line('608123456789', '608123456789'), [], { received: false, rejected: true }).note).toBe('received and rejected');
    expect(matchLine(line('608123456789', '608123456789'), [], none)).toEqual({ outcome: 'IN_BANK_NOT_POSTED', utr: '608123456789', payment: null, note: null });
  });
});
