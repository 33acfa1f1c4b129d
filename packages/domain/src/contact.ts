/**
 * Borrower contact data as it is stored: Indian mobile numbers in E.164 (+91 and ten digits
 * starting 6–9, the numbers SMS and voice reminders reach), lower-case e-mail, six-digit PIN code.
 */

/** "98765 43210", "+91-98765-43210", "09876543210" → "+919876543210"; null when not a mobile. */
export function normalizeIndianMobile(text: string): string | null {
  const digits = text.replace(/[\s\-().]/g, '');
  const match = /^(?:\+91|0091|91|0)?([6-9]\d{9})$/.exec(digits);
  return match ? `+91${match[1]}` : null;
}

/** Masks a phone number for anything a person might read in logs: +91******3210. */
export function maskPhone(phone: string): string {
  return phone.length <= 4 ? '****' : `${phone.slice(0, 3)}${'*'.repeat(Math.max(0, phone.length - 7))}${phone.slice(-4)}`;
}

export function normalizeEmail(text: string): string | null {
  const trimmed = text.trim().toLowerCase();
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(trimmed) && trimmed.length <= 254 ? trimmed : null;
}

export function isPinCode(text: string): boolean {
  return /^[1-9]\d{5}$/.test(text);
}

export const LANGUAGES = ['en', 'hi'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Loan numbers and customer references: what the old spreadsheet used, letters, digits, / _ -. */
export const REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9/_-]{0,39}$/;
