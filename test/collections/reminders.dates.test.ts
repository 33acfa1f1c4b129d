import { describe, expect, it } from 'vitest';
import {
  installmentReminderRange,
  promiseReminderKind,
  reminderDedupeKey,
  reminderMessage,
  reminderSendBy,
} from '@loanops/collections';

describe('reminder dates', () => {
  it.each([
    ['2026-03-15', '2026-03-13', null],
    ['2026-03-15', '2026-03-14', 'PROMISE_DUE_TOMORROW'],
    ['2026-03-15', '2026-03-15', 'PROMISE_DUE_TODAY'],
    ['2026-03-15', '2026-03-16', null],
    ['2026-03-01', '2026-02-28', 'PROMISE_DUE_TOMORROW'],
  ])('a promise of %s on %s: %s', (promisedOn, today, kind) => {
    expect(promiseReminderKind(promisedOn, today)).toBe(kind);
  });

  it('installments due tomorrow … today + N (default 3)', () => {
    expect(installmentReminderRange('2026-03-10', 3)).toEqual({ from: '2026-03-11', to: '2026-03-13' });
    expect(installmentReminderRange('2026-12-30', 3)).toEqual({ from: '2026-12-31', to: '2027-01-02' });
    expect(() => installmentReminderRange('2026-03-10', 0)).toThrow(RangeError);
  });

  it('lapse at 19:00 IST on their last day', () => {
    expect(reminderSendBy('PROMISE_DUE_TODAY', '2026-03-15').toISOString()).toBe('2026-03-15T13:30:00.000Z');
    expect(reminderSendBy('PROMISE_DUE_TOMORROW', '2026-03-15').toISOString()).toBe('2026-03-14T13:30:00.000Z');
    expect(reminderSendBy('INSTALLMENT_DUE', '2026-03-01').toISOString()).toBe('2026-02-28T13:30:00.000Z');
  });

  it('are once per (promise or installment, kind)', () => {
    expect(reminderDedupeKey('PROMISE_DUE_TODAY', 7)).toBe('promise:7:PROMISE_DUE_TODAY');
    expect(reminderDedupeKey('PROMISE_DUE_TOMORROW', 7)).toBe('promise:7:PROMISE_DUE_TOMORROW');
    expect(reminderDedupeKey('INSTALLMENT_DUE', 7)).toBe('installment:7:INSTALLMENT_DUE');
  });
});

describe('reminder messages', () => {
  const facts = { loanNumber: 'LN-1', amountPaise: 1_25_000_50, date: '2026-03-15' };
  it('in English', () => {
    expect(reminderMessage('PROMISE_DUE_TOMORROW', 'en', facts)).toBe(
      'Hello, as promised, your payment of ₹1,25,000.50 on loan LN-1 is due tomorrow, 15-03-2026. Please pay on time.',
    );
    expect(reminderMessage('INSTALLMENT_DUE', 'en', facts)).toContain('falls due on 15-03-2026');
  });
  it('in Hindi', () => {
    expect(reminderMessage('PROMISE_DUE_TODAY', 'hi', facts)).toBe(
      'नमस्ते, ऋण LN-1 पर आपके वादे के अनुसार ₹1,25,000.50 का भुगतान आज, 15-03-2026 को देय है। कृपया आज ही भुगतान करें।',
    );
    expect(reminderMessage('INSTALLMENT_DUE', 'hi', facts)).toContain('किस्त');
  });
});
