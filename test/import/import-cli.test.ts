import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { loan, scratchDir, writeBookCsv, type Scratch } from './book-files.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'apps/cli/src/import.ts');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runImport(args: readonly string[], databaseUrl: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, TZ: 'UTC' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe('npm run import', () => {
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

  it('imports a good file, prints a summary and exits 0', async () => {
    const file = await writeBookCsv(scratch, 'cli-good.csv', [loan('CLI-1'), loan('CLI-2', { disbursed_on: '01/01/2026' })]);

    const run = await runImport([file], database.url);

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ {2}rows read {10}2$/m);
    expect(run.stdout).toMatch(/^ {2}imported {11}2$/m);
    expect(run.stdout).toMatch(/^Imported 2 loans \(audit request id import-[0-9a-f-]{36}\)\.$/m);
    const loans = await database.db.selectFrom('loans').select('loan_number').where('loan_number', 'like', 'CLI-%').execute();
    expect(loans).toHaveLength(2);
  });

  it('lists the problems of a bad file, imports nothing and exits 65, without a stack trace', async () => {
    const file = await writeBookCsv(scratch, 'cli-bad.csv', [loan('CLB-1'), loan('CLB-2', { disbursed_on: '31/02/2026' })]);

    const run = await runImport([file], database.url);

    expect(run.status).toBe(65);
    expect(run.stdout).toContain(
      'Nothing was imported: 1 problem (fix them, or run again with --skip-invalid to import the 1 valid row).',
    );
    expect(run.stdout).toContain('row 3, column disbursed_on: must be a real date (got "31/02/2026")');
    expect(run.stdout + run.stderr).not.toMatch(STACK_LINE);

    const json = await runImport([file, '--json'], database.url);
    expect(json.status).toBe(65);
    expect(JSON.parse(json.stdout)).toMatchObject({
      outcome: 'REJECTED',
      rows: { read: 2, valid: 1, invalid: 1, imported: 0 },
      issues: [{ sheet: 'loans', row: 3, column: 'disbursed_on' }],
    });

    const skipped = await runImport([file, '--skip-invalid'], database.url);
    expect(skipped.status).toBe(0);
    expect(skipped.stdout).toContain('Skipped 1 invalid row (--skip-invalid), 1 problem:');
    const loans = await database.db.selectFrom('loans').select('loan_number').where('loan_number', 'like', 'CLB-%').execute();
    expect(loans.map((row) => row.loan_number)).toEqual(['CLB-1']);
  });

  it('says in one sentence what is wrong with a file that is not a book', async () => {
    const file = scratch.path('scan.xlsx');
    await writeFile(file, '%PDF-1.4\n');

    const run = await runImport([file], database.url);

    expect(run.status).toBe(65);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('scan.xlsx is a PDF document, not an xlsx workbook');
    expect(run.stdout + run.stderr).not.toMatch(STACK_LINE);
  });

  it('exits 64 with the usage for bad arguments, and 69 when Postgres does not answer', async () => {
    const usage = await runImport(['--no-such-flag', 'x.csv'], database.url);
    expect(usage.status).toBe(64);
    expect(usage.stderr).toContain('usage: npm run import -- <book.xlsx | book.csv> [options]');

    const file = await writeBookCsv(scratch, 'cli-down.csv', [loan('CLD-1')]);
    const down = await runImport([file], 'postgres://postgres@127.0.0.1:1/loanops');
    expect(down.status).toBe(69);
    expect(down.stderr).toMatch(/^Postgres did not answer at postgres:\/\/postgres@127\.0\.0\.1:1\/loanops /);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
  });
});
