/**
 * The financial guard: which fields of a request may never be set through an edit. A loan's
 * money and standing move only through payments, reversals and the DPD run; an edit that names any
 * of them is refused whole (SPEC "Financial guard"; the old system's financial-guard middleware).
 *
 * Field names are compared folded (lower case, letters and digits only), so `dpd`, `DPD`,
 * `principal_paise`, `Principal-Paise` and `principalPaise` are one name, and nested objects and
 * arrays are searched too.
 */

/** Folded names that are protected wherever they appear in a name. */
const PROTECTED_PARTS = [
  'dpd',
  'bucket',
  'status',
  'principal',
  'amount',
  'outstanding',
  'balance',
  'paise',
  'paid',
  'installment',
  'schedule',
  'interest',
  'tenure',
  'disburs',
  'due',
] as const;

/** Folded names protected only as a whole name (as parts they occur in harmless words). */
const PROTECTED_NAMES = ['rate', 'ratebps', 'annualrate', 'annualratebps', 'roi', 'emi', 'emis'] as const;

export const PROTECTED_FIELD_RULES = { parts: PROTECTED_PARTS, names: PROTECTED_NAMES } as const;

export function foldFieldName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function isProtectedFieldName(name: string): boolean {
  const folded = foldFieldName(name);
  if ((PROTECTED_NAMES as readonly string[]).includes(folded)) return true;
  if (folded.endsWith('rate') || folded.endsWith('ratebps')) return true;
  return PROTECTED_PARTS.some((part) => folded.includes(part));
}

/**
 * Every protected field named anywhere in `body`, as paths (`borrower.status`,
 * `items[0].dueOn`), in the order they appear. An empty list means the guard lets it through.
 */
export function findProtectedFields(body: unknown, maxDepth = 20): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string, depth: number) => {
    if (depth > maxDepth || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${path}[${index}]`, depth + 1));
      return;
    }
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childPath = path ? `${path}.${key}` : key;
      if (isProtectedFieldName(key)) found.push(childPath);
      walk(child, childPath, depth + 1);
    }
  };
  walk(body, '', 0);
  return found;
}
