import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAN_COLUMNS, importBook, type ImportProgress } from '@loanops/loan-book';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { importOptions, scratchDir, type Scratch } from './book-files.js';

/**
 * The importer streams: memory stays flat however long the file is. The heap is measured after a
 * full collection at points through the run, so what is counted is what the import keeps.
 */

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function retainedHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Writes a CSV book of `count` loans (about 200 bytes a row) without holding it in memory. */
async function writeLargeBook(file: string, count: number, prefix: string): Promise<number> {
  const out = createWriteStream(file);
  out.write(`${LOAN_COLUMNS.join(',')}\n`);
  for (let i = 1; i <= count; i += 1) {
    const n = String(i).padStart(7, '0');
    const fields = [
      `${prefix}-${n}`,
      `C${prefix}-${n}`,
      `Borrower ${n} Sharma`,
      `98${n}1`,
      `borrower${n}@example.com`,
      `"House ${i}, Ring Road, Ward ${i % 90}, Pune"`,
      '411001',
      i % 2 === 0 ? 'hi' : 'en',
      `"1,${String(i % 100).padStart(2, '0')},000.50"`,
      '14.5',
      '12',
      '15/12/2025',
      '',
      '',
      '',
      'migrated;batch-1',
      'carried over from the old sheet',
    ];
    if (!out.write(`${fields.join(',')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return (await stat(file)).size;
}

describe('importBook on a large file', () => {
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

  function sampler(every: number) {
    const baseline = retainedHeap();
    let peak = 0;
    const phases = new Set<string>();
    return {
      onProgress(progress: ImportProgress) {
        phases.add(progress.phase);
        if (progress.rows % every === 0) peak = Math.max(peak, retainedHeap() - baseline);
      },
      get peak() {
        return peak;
      },
      phases,
    };
  }

  it('checks a 100,000-loan, 20 MB file with memory that does not grow with it', async () => {
    const file = scratch.path('large.csv');
    const size = await writeLargeBook(file, 100_000, 'LG');
    expect(size).toBeGreaterThan(18_000_000);
    const heap = sampler(10_000);

    const report = await importBook(database.db, importOptions(file, { dryRun: true, onProgress: heap.onProgress }));

    expect(report).toMatchObject({
      outcome: 'CHECKED',
      rows: { read: 100_000, valid: 100_000, invalid: 0, alreadyInBook: 0, imported: 0 },
      issueCount: 0,
    });
    expect([...heap.phases]).toEqual(['reading', 'checking']);
    // Holding the rows would take several times the file's size; the import keeps a batch.
    expect(heap.peak).toBeLessThan(size / 4);
    expect(await database.db.selectFrom('loans').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()).toEqual({
      n: 0,
    });
  });

  it('imports thousands of loans in batches in one transaction, with flat memory', async () => {
    const file = scratch.path('medium.csv');
    const size = await writeLargeBook(file, 6_000, 'MD');
    const heap = sampler(1_000);

    const report = await importBook(database.db, importOptions(file, { onProgress: heap.onProgress }));

    expect(report).toMatchObject({ outcome: 'IMPORTED', rows: { read: 6_000, valid: 6_000, imported: 6_000 } });
    expect([...heap.phases]).toEqual(['reading', 'checking', 'importing']);
    expect(heap.peak).toBeLessThan(Math.max(size, 8_000_000));
    const counts = await database.db
      .selectFrom('installments')
      .innerJoin('loans', 'loans.id', 'installments.loan_id')
      .where('loans.loan_number', 'like', 'MD-%')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    expect(Number(counts?.n)).toBe(72_000);
  });
});
