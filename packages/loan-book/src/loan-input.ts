import { z } from 'zod';
import {
  LANGUAGES,
  PRINCIPAL_LIMITS,
  RATE_LIMITS,
  REFERENCE_PATTERN,
  TENURE_LIMITS,
  isBusinessDate,
  isPinCode,
  normalizeEmail,
  normalizeIndianMobile,
} from '@loanops/domain';

export const businessDateField = z
  .string({ error: 'must be a date written YYYY-MM-DD' })
  .refine(isBusinessDate, 'must be a real date written YYYY-MM-DD');

const wholePaise = z
  .number({ error: 'must be a whole number of paise' })
  .int('must be a whole number of paise')
  .refine(Number.isSafeInteger, 'is too large');

export const phoneField = z
  .string({ error: 'must be an Indian mobile number' })
  .transform((value, ctx) => {
    const phone = normalizeIndianMobile(value);
    if (phone === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an Indian mobile number (10 digits starting 6-9, optional +91)' });
      return z.NEVER;
    }
    return phone;
  });

export const emailField = z.string({ error: 'must be an e-mail address' }).transform((value, ctx) => {
  const email = normalizeEmail(value);
  if (email === null) {
    ctx.addIssue({ code: 'custom', message: 'must be an e-mail address' });
    return z.NEVER;
  }
  return email;
});

export const referenceField = z
  .string()
  .trim()
  .regex(REFERENCE_PATTERN, 'must be 1-40 letters, digits, / _ - (starting with a letter or digit)');

export const pinCodeField = z.string().trim().refine(isPinCode, 'must be a 6-digit PIN code');
export const languageField = z.enum(LANGUAGES, { error: `must be one of ${LANGUAGES.join(', ')}` });
export const tagsField = z
  .array(z.string().trim().regex(/^[\p{L}\p{N}][\p{L}\p{N} _:-]{0,39}$/u, 'must be 1-40 letters, digits, space _ : -'))
  .max(20, 'at most 20 tags');
export const notesField = z.string().max(4_000, 'at most 4000 characters');

export const newBorrowerSchema = z.strictObject({
  customerRef: referenceField.optional(),
  name: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters'),
  phone: phoneField,
  email: emailField.optional(),
  address: z.string().trim().max(500, 'at most 500 characters').optional(),
  pinCode: pinCodeField.optional(),
  language: languageField.default('en'),
});

export const givenInstallmentSchema = z.strictObject({
  dueOn: businessDateField,
  principalPaise: wholePaise.min(0, 'must not be negative'),
  interestPaise: wholePaise.min(0, 'must not be negative'),
});

/** POST /v1/loans. Unknown fields are refused (strict), so a typo never passes silently. */
export const newLoanSchema = z.strictObject({
  loanNumber: referenceField,
  borrower: newBorrowerSchema,
  principalPaise: wholePaise
    .min(PRINCIPAL_LIMITS.minPaise, `must be at least ${PRINCIPAL_LIMITS.minPaise} paise`)
    .max(PRINCIPAL_LIMITS.maxPaise, `must be at most ${PRINCIPAL_LIMITS.maxPaise} paise`),
  annualRateBps: z
    .number({ error: 'must be a whole number of basis points' })
    .int('must be a whole number of basis points')
    .min(RATE_LIMITS.minBps, `must be at least ${RATE_LIMITS.minBps}`)
    .max(RATE_LIMITS.maxBps, `must be at most ${RATE_LIMITS.maxBps}`),
  tenureMonths: z
    .number({ error: 'must be a whole number of months' })
    .int('must be a whole number of months')
    .min(TENURE_LIMITS.minMonths, `must be at least ${TENURE_LIMITS.minMonths}`)
    .max(TENURE_LIMITS.maxMonths, `must be at most ${TENURE_LIMITS.maxMonths}`),
  disbursedOn: businessDateField,
  firstDueOn: businessDateField.optional(),
  collectorId: z.number().int().positive().optional(),
  installments: z.array(givenInstallmentSchema).min(1).max(TENURE_LIMITS.maxMonths).optional(),
  tags: tagsField.optional(),
  notes: notesField.optional(),
});

export type NewLoanRequest = z.output<typeof newLoanSchema>;

/** What createLoans takes: a request, plus what only an import can say. */
export type NewLoanInput = NewLoanRequest & {
  /** Repaid before the loan came into this system (imports of running loans). */
  paidToDatePaise?: number | undefined;
};

export const LOAN_STATUSES = ['ACTIVE', 'LEGAL', 'CLOSED', 'WRITTEN_OFF'] as const;
