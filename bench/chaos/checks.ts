/**
 * What the chaos run checks once the load has stopped and the queues have drained, pure: it reads
 * the rows and the answers the run collected and names every violation.
 */

export interface IntakeRow {
  id: string;
  utr: string;
  status: string;
  rejectCode: string | null;
  paymentId: number | null;
}

export interface PaymentRow {
  id: number;
  intakeId: string;
  utr: string;
}

export interface EditRow {
  id: string;
  status: string;
}

export interface ProtectedEditAnswer {
  loanId: number;
  status: number;
  code: string | null;
  requestId: string | null;
}

export interface ChaosEvidence {
  /** intakeIds of every payment answered 202. */
  accepted: readonly string[];
  /** Invalid payments that were answered 202 (each a violation). */
  invalidAccepted: readonly string[];
  intakes: readonly IntakeRow[];
  payments: readonly PaymentRow[];
  /** editIds of every plain edit answered 202, and the rows of loan_edits. */
  acceptedEdits: readonly string[];
  edits: readonly EditRow[];
  protectedEdits: readonly ProtectedEditAnswer[];
  /** request ids of the FINANCIAL_GUARD_TRIGGERED audit entries. */
  guardAuditRequestIds: ReadonlySet<string>;
  /** The DPD runs of the run's business date. */
  dpdRuns: readonly { id: number; status: string }[];
  integrity: { clean: boolean; findings: readonly string[] };
  auditChain: { ok: boolean; problem: string | null };
}

const MAX_NAMED = 20;

/** Every violation, one line each (at most MAX_NAMED rows named per kind, then a count). */
export function findViolations(evidence: ChaosEvidence): string[] {
  const violations: string[] = [];
  const named = (what: string, items: readonly string[]) => {
    if (items.length === 0) return;
    const shown = items.slice(0, MAX_NAMED).join(', ');
    violations.push(`${what} (${items.length}): ${shown}${items.length > MAX_NAMED ? ', …' : ''}`);
  };

  const intakeById = new Map(evidence.intakes.map((row) => [row.id, row]));
  const paymentsByIntake = new Map<string, PaymentRow[]>();
  for (const payment of evidence.payments) {
    paymentsByIntake.set(payment.intakeId, [...(paymentsByIntake.get(payment.intakeId) ?? []), payment]);
  }

  named('accepted payments with no intake row', evidence.accepted.filter((id) => !intakeById.has(id)));
  named(
    'accepted payments still RECEIVED',
    evidence.accepted.filter((id) => intakeById.get(id)?.status === 'RECEIVED'),
  );
  named('intakes still RECEIVED', evidence.intakes.filter((row) => row.status === 'RECEIVED').map((row) => row.id));
  named(
    'REJECTED intakes without a code',
    evidence.intakes.filter((row) => row.status === 'REJECTED' && !row.rejectCode).map((row) => row.id),
  );
  named(
    'POSTED intakes without exactly one payment',
    evidence.intakes
      .filter((row) => row.status === 'POSTED')
      .filter((row) => {
        const payments = paymentsByIntake.get(row.id) ?? [];
        return payments.length !== 1 || payments[0]?.id !== row.paymentId;
      })
      .map((row) => `${row.id} (${paymentsByIntake.get(row.id)?.length ?? 0} payments)`),
  );
  named(
    'intakes not POSTED that have a payment',
    evidence.intakes.filter((row) => row.status !== 'POSTED' && paymentsByIntake.has(row.id)).map((row) => row.id),
  );
  named(
    'payments with no intake row',
    evidence.payments.filter((payment) => !intakeById.has(payment.intakeId)).map((payment) => String(payment.id)),
  );
  const posted = evidence.intakes.filter((row) => row.status === 'POSTED').length;
  if (evidence.payments.length !== posted) {
    violations.push(`payments (${evidence.payments.length}) do not match POSTED intakes (${posted})`);
  }
  const utrCount = new Map<string, number>();
  for (const payment of evidence.payments) utrCount.set(payment.utr, (utrCount.get(payment.utr) ?? 0) + 1);
  named(
    'UTRs posted more than once',
    [...utrCount].filter(([, count]) => count > 1).map(([utr, count]) => `${utr} ×${count}`),
  );
  named('invalid payments answered 202', evidence.invalidAccepted);

  const editById = new Map(evidence.edits.map((row) => [row.id, row]));
  named(
    'accepted edits not APPLIED or REJECTED',
    evidence.acceptedEdits.filter((id) => !['APPLIED', 'REJECTED'].includes(editById.get(id)?.status ?? 'MISSING')),
  );
  named(
    'protected edits not refused with 403 FINANCIAL_FIELD_PROTECTED',
    evidence.protectedEdits
      .filter((answer) => answer.status !== 403 || answer.code !== 'FINANCIAL_FIELD_PROTECTED')
      .map((answer) => `loan ${answer.loanId} answered ${answer.status} ${answer.code ?? ''}`.trim()),
  );
  named(
    'protected edits refused but not audited',
    evidence.protectedEdits
      .filter((answer) => answer.status === 403 && !(answer.requestId && evidence.guardAuditRequestIds.has(answer.requestId)))
      .map((answer) => `loan ${answer.loanId} request ${answer.requestId ?? '(none)'}`),
  );

  const succeeded = evidence.dpdRuns.filter((run) => run.status === 'SUCCEEDED');
  if (succeeded.length !== 1) {
    violations.push(
      `the DPD run for the day finished ${succeeded.length} times (runs: ${evidence.dpdRuns.map((run) => `${run.id} ${run.status}`).join(', ') || 'none'})`,
    );
  }
  named('DPD runs still RUNNING', evidence.dpdRuns.filter((run) => run.status === 'RUNNING').map((run) => String(run.id)));

  if (!evidence.integrity.clean) named('integrity check findings', evidence.integrity.findings.length ? evidence.integrity.findings : ['(no rows named)']);
  if (!evidence.auditChain.ok) violations.push(`the audit chain does not verify: ${evidence.auditChain.problem ?? 'no reason given'}`);
  return violations;
}
