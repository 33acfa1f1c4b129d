import { describe, expect, it } from 'vitest';
import { findProtectedFields, isProtectedFieldName } from '@loanops/domain';
import { PROTECTED_EXAMPLES } from '../support/guard-examples.js';

const ALLOWED = ['borrower', 'phone', 'email', 'address', 'language', 'collectorId', 'tags', 'notes', 'name', 'pinCode'];

describe('isProtectedFieldName', () => {
  it.each(PROTECTED_EXAMPLES)('protects %s in any letter case or separator style', (name) => {
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    for (const spelling of [name, name.toUpperCase(), name.toLowerCase(), snake, snake.toUpperCase(), snake.replace(/_/g, '-')]) {
      expect(isProtectedFieldName(spelling)).toBe(true);
    }
  });

  it.each(ALLOWED)('lets %s through', (name) => {
    expect(isProtectedFieldName(name)).toBe(false);
  });
});

describe('findProtectedFields', () => {
  it('finds nested, differently cased and array-held protected fields', () => {
    expect(
      findProtectedFields({
        notes: 'call after 6pm',
        borrower: { phone: '9876543210', STATUS: 'CLOSED' },
        installments: [{ dueOn: '2026-01-01', principal_paise: 5 }],
        Dpd: 0,
      }),
    ).toEqual(['borrower.STATUS', 'installments', 'installments[0].dueOn', 'installments[0].principal_paise', 'Dpd']);
  });

  it('finds nothing in an allowed edit', () => {
    expect(
      findProtectedFields({ borrower: { phone: '9876543210', email: 'a@b.in', address: 'x', language: 'hi' }, collectorId: 3, tags: ['vip'], notes: 'n' }),
    ).toEqual([]);
  });

  it('finds nothing in non-objects', () => {
    expect(findProtectedFields(null)).toEqual([]);
    expect(findProtectedFields('dpd')).toEqual([]);
    expect(findProtectedFields(['dpd'])).toEqual([]);
  });
});
