import { z } from 'zod';
import { PAYMENT_MODES, isBusinessDate, isUtr, utrMatchKey } from '@loanops/domain';

/**
 * POST /v1/payments. Shape only: the amount's range, the value-date window and the loan's state
 * are business rules (422 with their codes), checked by acceptPayment.
 */
export const paymentRequestSchema = z
  .strictObject({
    // Stored as its match key, so one UTR written two ways (spaced, zero-padded) is one UTR to
    // the duplicate check and the unique indexes, as it is to the bank reconciliation.
    utr: z
      .string({ error: 'must be a UTR' })
      .transform(utrMatchKey)
      .refine(isUtr, 'must be 12-22 letters and digits'),
    loanId: z.number({ error: 'must be a loan id' }).int().positive().optional(),
    loanNumber: z.string().trim().min(1).max(40).optional(),
    amountPaise: z
      .number({ error: 'must be a whole number of paise' })
      .int('must be a whole number of paise')
      .refine(Number.isSafeInteger, 'is too large'),
    valueDate: z.string({ error: 'must be a date written YYYY-MM-DD' }).refine(isBusinessDate, 'must be a real date written YYYY-MM-DD'),
    mode: z.enum(PAYMENT_MODES, { error: `must be one of ${PAYMENT_MODES.join(', ')}` }),
  })
  .superRefine((value, ctx) => {
    if ((value.loanId === undefined) === (value.loanNumber === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['loanId'], message: 'give exactly one of loanId and loanNumber' });
    }
  });

export type PaymentRequest = z.output<typeof paymentRequestSchema>;

export const reversalRequestSchema = z.strictObject({
  reason: z.string({ error: 'must say why' }).trim().min(3, 'must say why (3 characters at least)').max(500),
});
