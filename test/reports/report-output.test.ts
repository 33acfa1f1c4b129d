import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { csvField, percent, portfolioRows, rollDirection, rollRateRows, writeReport, type ReportColumn } from '@loanops/reports';

/** A sink that takes a chunk at a time, slowly, as a client on a slow link would. */
function slowSink(): { stream: Writable; text: () => string; buffer: () => Buffer; chunks: () => number } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, callback) {
      parts.push(Buffer.from(chunk));
      setImmediate(callback);
    },
  });
  return { stream, text: () => Buffer.concat(parts).toString('utf8'), buffer: () => Buffer.concat(parts), chunks: () => parts.length };
}

type Row = { n: number; name: string | null; amountPaise: number };
const columns: ReportColumn<Row>[] = [
  { key: 'n', header: 'N', kind: 'integer' },
  { key: 'name', header: 'Name', kind: 'text' },
  { key: 'amountPaise', header: 'Amount', kind: 'paise' },
];

async function* generate(count: number): AsyncGenerator<Row> {
  for (let n = 1; n <= count; n += 1) yield { n, name: n % 2 ? `row, "${n}"` : null, amountPaise: n * 101 };
}

describe('writeReport', () => {
  it('writes JSON as one array, row by row, waiting on a slow client', async () => {
    const sink = slowSink();
    await writeReport(generate(5_000), columns as ReportColumn[], 'json', sink.stream);
    const parsed = JSON.parse(sink.text()) as Row[];
    expect(parsed).toHaveLength(5_000);
    expect(parsed[0]).toEqual({ n: 1, name: 'row, "1"', amountPaise: 101 });
    expect(parsed[1]).toEqual({ n: 2, name: null, amountPaise: 202 });
    expect(sink.chunks()).toBeGreaterThan(5_000);
  });

  it('writes an empty report as [] and a CSV of nothing but its header', async () => {
    const json = slowSink();
    await writeReport(generate(0), columns as ReportColumn[], 'json', json.stream);
    expect(JSON.parse(json.text())).toEqual([]);
    const csv = slowSink();
    await writeReport(generate(0), columns as ReportColumn[], 'csv', csv.stream);
    expect(csv.text()).toBe('n,name,amountPaise\r\n');
  });

  it('writes CSV with quoting, and XLSX with rupees', async () => {
    const csv = slowSink();
    await writeReport(generate(2), columns as ReportColumn[], 'csv', csv.stream);
    expect(csv.text()).toBe('n,name,amountPaise\r\n1,"row, ""1""",101\r\n2,,202\r\n');
    const xlsx = slowSink();
    await writeReport(generate(3), columns as ReportColumn[], 'xlsx', xlsx.stream, 'Test');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.buffer() as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Test');
    expect(sheet?.getRow(1).values).toEqual([undefined, 'N', 'Name', 'Amount (₹)']);
    expect(sheet?.getRow(2).values).toEqual([undefined, 1, 'row, "1"', 1.01]);
    expect(sheet?.getRow(3).getCell(1).value).toBe(2);
    expect(sheet?.getRow(3).getCell(2).value).toBeNull();
    expect(sheet?.getRow(3).getCell(3).value).toBe(2.02);
    expect(sheet?.getRow(3).getCell(3).numFmt).toBe('#,##0.00');
  });
});

describe('csvField', () => {
  it('defuses text a spreadsheet would run as a formula, leaves numbers alone', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+91 98')).toBe("'+91 98");
    expect(csvField(-500)).toBe('-500');
    expect(csvField(null)).toBe('');
  });
});

describe('row shaping', () => {
  it('percent: two decimals, null when nothing was due', () => {
    expect(percent(1, 3)).toBe(33.33);
    expect(percent(2, 3)).toBe(66.67);
    expect(percent(5, 0)).toBeNull();
  });

  it.each([
    [0, 0, 'stable'],
    [0, 2, 'forward'],
    [3, 1, 'rollBack'],
    [3, 0, 'cure'],
    [1, 0, 'cure'],
  ] as const)('a loan from bucket %i to %i rolled %s', (from, to, direction) => {
    expect(rollDirection(from, to)).toBe(direction);
  });

  it('the roll-rate matrix: rows in bucket order, each summing to 100 %', () => {
    const buckets = DEFAULT_BUCKET_TABLE.map((bucket) => bucket.name);
    const rows = rollRateRows(
      '2026-01-01',
      '2026-02-01',
      [
        { fromBucket: 'SMA-1', toBucket: 'SMA-2', loans: 3, amountPaise: 300 },
        { fromBucket: 'SMA-1', toBucket: 'SMA-0', loans: 1, amountPaise: 100 },
        { fromBucket: 'SMA-1', toBucket: 'CURRENT', loans: 1, amountPaise: 600 },
        { fromBucket: 'SMA-1', toBucket: 'SMA-1', loans: 5, amountPaise: 1_000 },
      ],
      buckets,
    );
    expect(rows.map((row) => row.fromBucket)).toEqual(buckets);
    const sma1 = rows[2] as Record<string, unknown>;
    expect(sma1).toMatchObject({ loans: 10, amountPaise: 2_000, forwardLoansPct: 30, stableLoansPct: 50, rollBackLoansPct: 10, cureLoansPct: 10 });
    expect(sma1).toMatchObject({ forwardPaisePct: 15, stablePaisePct: 50, rollBackPaisePct: 5, curePaisePct: 30 });
    const total = buckets.reduce((sum, to) => sum + Number(sma1[`to_${to}_loansPct`]), 0);
    expect(total).toBe(100);
  });

  it('the portfolio: every bucket, a bucket the table no longer has after them, and a total', () => {
    const rows = portfolioRows(
      '2026-01-01',
      [
        { bucket: 'SMA-0', loans: 1, principalOutstandingPaise: 100, totalOutstandingPaise: 110 },
        { bucket: 'OLD', loans: 1, principalOutstandingPaise: 300, totalOutstandingPaise: 330 },
      ],
      DEFAULT_BUCKET_TABLE,
    );
    expect(rows.map((row) => [row.bucket, row.loans, row.principalPct])).toEqual([
      ['CURRENT', 0, 0],
      ['SMA-0', 1, 25],
      ['SMA-1', 0, 0],
      ['SMA-2', 0, 0],
      ['NPA', 0, 0],
      ['OLD', 1, 75],
      ['TOTAL', 2, 100],
    ]);
  });
});
