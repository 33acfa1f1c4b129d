import { z } from 'zod';

/**
 * Where a bank statement keeps the value date, the UTR and the amount. A layout names header
 * cells (matched ignoring case, spaces and trailing dots); the amount is either one column
 * (credits positive, debits negative or marked Dr) or separate credit and debit columns. The
 * presets follow the CSV exports those banks commonly give; a file that differs is read with a
 * mapping of its own (any field given overrides the preset's).
 */
export interface StatementLayout {
  valueDate: string;
  utr: string;
  amount?: string | undefined;
  credit?: string | undefined;
  debit?: string | undefined;
  narration?: string | undefined;
}

export const LAYOUT_PRESETS = {
  /** value_date, utr, amount: the simplest file, and what a gateway's settlement report gives. */
  simple: { valueDate: 'value_date', utr: 'utr', amount: 'amount', narration: 'narration' },
  /** Separate credit and debit columns. */
  'credit-debit': { valueDate: 'Value Date', utr: 'UTR', credit: 'Credit', debit: 'Debit', narration: 'Narration' },
  hdfc: { valueDate: 'Value Dt', utr: 'Chq./Ref.No.', credit: 'Deposit Amt.', debit: 'Withdrawal Amt.', narration: 'Narration' },
  sbi: { valueDate: 'Value Date', utr: 'Ref No./Cheque No.', credit: 'Credit', debit: 'Debit', narration: 'Description' },
  icici: {
    valueDate: 'Value Date',
    utr: 'Cheque Number',
    credit: 'Deposit Amount (INR )',
    debit: 'Withdrawal Amount (INR )',
    narration: 'Transaction Remarks',
  },
  axis: { valueDate: 'Tran Date', utr: 'CHQNO', credit: 'CR', debit: 'DR', narration: 'PARTICULARS' },
} as const satisfies Record<string, StatementLayout>;

export type LayoutName = keyof typeof LAYOUT_PRESETS;
export const LAYOUT_NAMES = Object.keys(LAYOUT_PRESETS) as LayoutName[];

const header = z.string().trim().min(1).max(100);

/** The fields that choose a layout: a preset, overridden field by field. */
export const layoutInputShape = {
  layout: z.enum(LAYOUT_NAMES as [LayoutName, ...LayoutName[]], { error: `must be one of ${LAYOUT_NAMES.join(', ')}` }).default('simple'),
  valueDate: header.optional(),
  utr: header.optional(),
  amount: header.optional(),
  credit: header.optional(),
  debit: header.optional(),
  narration: header.optional(),
};

/** One amount column or credit/debit columns, never both. */
export function refineLayoutInput(input: { amount?: string | undefined; credit?: string | undefined; debit?: string | undefined }, ctx: z.RefinementCtx): void {
  if (input.amount !== undefined && (input.credit !== undefined || input.debit !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['amount'], message: 'give either amount or credit/debit columns, not both' });
  }
}

export const layoutInputSchema = z.strictObject(layoutInputShape).superRefine(refineLayoutInput);

export type LayoutInput = z.output<typeof layoutInputSchema>;

export function resolveLayout(input: LayoutInput): StatementLayout {
  const preset: StatementLayout = LAYOUT_PRESETS[input.layout];
  const ownAmount = input.amount !== undefined || input.credit !== undefined || input.debit !== undefined;
  return {
    valueDate: input.valueDate ?? preset.valueDate,
    utr: input.utr ?? preset.utr,
    amount: ownAmount ? input.amount : preset.amount,
    credit: ownAmount ? input.credit : preset.credit,
    debit: ownAmount ? input.debit : preset.debit,
    narration: input.narration ?? preset.narration,
  };
}
