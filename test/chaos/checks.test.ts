import { describe, expect, it } from 'vitest';
import { findViolations, type ChaosEvidence } from '../../bench/chaos/checks.js';

function clean(): ChaosEvidence {
  return {
    accepted: ['i1', 'i2', 'i3'],
    invalidAccepted: [],
    intakes: [
      { id: 'i1', utr: 'UTR000000000001', status: 'POSTED', rejectCode: null, paymentId: 1 },
      { id: 'i2', utr: 'UTR000000000002', status: 'POSTED', rejectCode: null, paymentId: 2 },
      { id: 'i3', utr: 'UTR000000000003', status: 'REJECTED', rejectCode: 'OVERPAYMENT', paymentId: null },
    ],
    payments: [
      { id: 1, intakeId: 'i1', utr: 'UTR000000000001' },
      { id: 2, intakeId: 'i2', utr: 'UTR000000000002' },
    ],
    acceptedEdits: ['e1'],
    edits: [{ id: 'e1', status: 'APPLIED' }],
    protectedEdits: [{ loanId: 7, status: 403, code: 'FINANCIAL_FIELD_PROTECTED', requestId: 'r1' }],
    guardAuditRequestIds: new Set(['r1']),
    dpdRuns: [{ id: 1, status: 'SUCCEEDED' }],
    integrity: { clean: true, findings: [] },
    auditChain: { ok: true, problem: null },
  };
}

describe('the chaos run checks', () => {
  it('find nothing wrong in a clean run', () => {
    expect(findViolations(clean())).toEqual([]);
  });

  it('name an accepted payment that was lost or never processed', () => {
    const evidence = clean();
    const lost = findViolations({ ...evidence, accepted: [...evidence.accepted, 'i9'] });
    expect(lost).toEqual(['accepted payments with no intake row (1): i9']);
    const waiting = findViolations({
      ...evidence,
      intakes: evidence.intakes.map((row) => (row.id === 'i3' ? { ...row, status: 'RECEIVED', rejectCode: null } : row)),
    });
    expect(waiting).toContain('accepted payments still RECEIVED (1): i3');
    expect(waiting).toContain('intakes still RECEIVED (1): i3');
  });

  it('name a payment posted twice, for one intake or for one UTR', () => {
    const evidence = clean();
    const twice = findViolations({ ...evidence, payments: [...evidence.payments, { id: 3, intakeId: 'i1', utr: 'UTR000000000001' }] });
    expect(twice).toContain('POSTED intakes without exactly one payment (1): i1 (2 payments)');
    expect(twice).toContain('payments (3) do not match POSTED intakes (2)');
    expect(twice).toContain('UTRs posted more than once (1): UTR000000000001 ×2');
  });

  it('name a rejection without a code and a rejected intake that has a payment', () => {
    const evidence = clean();
    const violations = findViolations({
      ...evidence,
      intakes: evidence.intakes.map((row) => (row.id === 'i3' ? { ...row, rejectCode: null } : row)),
      payments: [...evidence.payments, { id: 4, intakeId: 'i3', utr: 'UTR000000000003' }],
    });
    expect(violations).toContain('REJECTED intakes without a code (1): i3');
    expect(violations).toContain('intakes not POSTED that have a payment (1): i3');
  });

  it('name protected edits that were not refused, or refused without an audit entry', () => {
    const evidence = clean();
    const violations = findViolations({
      ...evidence,
      protectedEdits: [
        ...evidence.protectedEdits,
        { loanId: 8, status: 202, code: null, requestId: 'r2' },
        { loanId: 9, status: 403, code: 'FINANCIAL_FIELD_PROTECTED', requestId: 'r3' },
      ],
    });
    expect(violations).toEqual([
      'protected edits not refused with 403 FINANCIAL_FIELD_PROTECTED (1): loan 8 answered 202',
      'protected edits refused but not audited (1): loan 9 request r3',
    ]);
  });

  it('name a DPD run that did not finish exactly once, a dirty book and a broken chain', () => {
    const evidence = clean();
    expect(findViolations({ ...evidence, dpdRuns: [{ id: 1, status: 'FAILED' }] })).toEqual([
      'the DPD run for the day finished 0 times (runs: 1 FAILED)',
    ]);
    expect(findViolations({ ...evidence, dpdRuns: [{ id: 1, status: 'SUCCEEDED' }, { id: 2, status: 'SUCCEEDED' }] })).toHaveLength(1);
    expect(
      findViolations({
        ...evidence,
        integrity: { clean: false, findings: ['LOAN_TOTALS loans 4: outstanding does not add up'] },
        auditChain: { ok: false, problem: 'entry 12 does not match' },
      }),
    ).toEqual([
      'integrity check findings (1): LOAN_TOTALS loans 4: outstanding does not add up',
      'the audit chain does not verify: entry 12 does not match',
    ]);
  });

  it('names at most twenty rows of a kind, and counts them all', () => {
    const evidence = clean();
    const many = Array.from({ length: 25 }, (_, i) => `x${i}`);
    const [line] = findViolations({ ...evidence, accepted: [...evidence.accepted, ...many] });
    expect(line).toMatch(/^accepted payments with no intake row \(25\): x0, x1, .*x19, …$/);
  });
});
