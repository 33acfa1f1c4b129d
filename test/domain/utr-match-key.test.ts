import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUtr, normalizeUtr, utrMatchKey, utrSpellings } from '@loanops/domain';

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const utrChars = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
/** Any reference intake accepts as a UTR: 12 to 22 upper-case letters and digits. */
const storedUtr = fc.string({ unit: utrChars, minLength: 12, maxLength: 22 });

describe('utrMatchKey', () => {
  it.each([
    // what normalizeUtr already does
    [' sbin126091234567 ', 'SBIN126091234567'],
    ['UTRRECON000001', 'UTRRECON000001'],
    // spaces inside, of any kind
    ['6081 2345 6789', '608123456789'],
    ['SBIN 1260 9123 4567', 'SBIN126091234567'],
    ['6081\u00a023456789', '608123456789'],
    // zero padding of an all-digit reference, down to 12 digits
    ['0000608123456789', '608123456789'],
    ['0000000000608123456789', '608123456789'],
    ['000000000000000608123456789', '608123456789'],
    ['0 0006 0812 3456 789', '608123456789'],
    // an RRN's own leading zero (a year ending in 0) stays
    ['001512345678', '001512345678'],
    ['0001512345678', '001512345678'],
    // a long all-digit reference keeps everything from its first other digit
    ['0001234567890123', '1234567890123'],
    // zeros at the end or inside, and in front of letters, are the reference's own
    ['608123456789000', '608123456789000'],
    ['00SBIN126091234567', '00SBIN126091234567'],
    // short numbers are not padded, and letters are never dropped
    ['000123', '000123'],
    ['CHQ 000123', 'CHQ000123'],
    ['NEFT-SBIN126091234567', 'NEFT-SBIN126091234567'],
    ['', ''],
  ])('%j → %j', (text, key) => {
    expect(utrMatchKey(text)).toBe(key);
  });

  it.each([
    ['0000608123456789', true],
    ['001512345678', true],
    ['000123', false],
    ['CHQ 000123', false],
    ['INT.PD:31-03-2026', false],
    ['', false],
  ])('%j is a UTR once keyed: %s', (text, valid) => {
    expect(isUtr(utrMatchKey(text))).toBe(valid);
  });

  it('never makes two different UTRs of the same length equal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 12, max: 22 }).chain((length) => fc.tuple(...[0, 1].map(() => fc.string({ unit: fc.constantFrom('0', '1', 'A'), minLength: length, maxLength: length })))),
        ([a, b]) => {
          fc.pre(a !== b);
          expect(utrMatchKey(a as string)).not.toBe(utrMatchKey(b as string));
        },
      ),
    );
  });

  it('never makes two different 12-digit RRNs equal, whatever padding either is written with', () => {
    fc.assert(
      fc.property(digits(12, 12), digits(12, 12), fc.nat(10), fc.nat(10), (a, b, padA, padB) => {
        fc.pre(a !== b);
        expect(utrMatchKey('0'.repeat(padA) + a)).not.toBe(utrMatchKey('0'.repeat(padB) + b));
        expect(utrMatchKey('0'.repeat(padA) + a)).toBe(a);
      }),
    );
  });

  it('is a fixed point: keying a key changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(storedUtr, digits(0, 30), fc.string()), (text) => {
        const key = utrMatchKey(text);
        expect(utrMatchKey(key)).toBe(key);
      }),
    );
  });

  it('keeps a stored UTR a UTR', () => {
    fc.assert(
      fc.property(storedUtr, (utr) => {
        expect(isUtr(utrMatchKey(utr))).toBe(true);
        expect(utrMatchKey(utr.toLowerCase())).toBe(utrMatchKey(normalizeUtr(utr)));
      }),
    );
  });
});

describe('utrSpellings', () => {
  it('lists the key and its zero-padded forms up to 22 characters', () => {
    expect(utrSpellings('608123456789')).toEqual(Array.from({ length: 11 }, (_, n) => '0'.repeat(n) + '608123456789'));
    expect(utrSpellings('SBIN126091234567')).toEqual(['SBIN126091234567']);
    expect(utrSpellings('1234567890123456789012')).toEqual(['1234567890123456789012']);
  });

  it('is empty for what is not a key', () => {
    expect(utrSpellings('000123')).toEqual([]);
    expect(utrSpellings('0123456789012')).toEqual([]);
    expect(utrSpellings('sbin126091234567')).toEqual([]);
  });

  it('holds exactly the stored UTRs with that key', () => {
    fc.assert(
      fc.property(storedUtr, (utr) => {
        const key = utrMatchKey(utr);
        expect(utrSpellings(key)).toContain(utr);
        for (const spelling of utrSpellings(key)) {
          expect(isUtr(spelling)).toBe(true);
          expect(utrMatchKey(spelling)).toBe(key);
        }
      }),
    );
  });
});
