import type { Request } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Why a state-changing request to the console must be refused as cross-site, or null when it
 * came from the console's own pages. Browsers send `Sec-Fetch-Site` (which no page can set) on
 * requests to trustworthy origins (https, localhost): when present it must say same-origin.
 * Without it, `Origin` (sent on every non-GET fetch and form post; the console's pages use a
 * same-origin referrer policy so it is not blanked to "null") must be the console's origin:
 * CONSOLE_ORIGIN when set (a TLS proxy in front), else this request's own scheme and Host. A
 * request carrying neither is refused, so a cookie alone never authorizes a write. This sits on
 * top of the SameSite=Strict cookie.
 */
export function crossSiteProblem(req: Request, consoleOrigin: string | undefined): string | null {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' ? null : `Sec-Fetch-Site is ${site}, not same-origin`;
  const origin = req.get('origin');
  if (origin === undefined) return 'the request carries neither Origin nor Sec-Fetch-Site';
  const expected = consoleOrigin ?? `${req.protocol}://${req.get('host') ?? ''}`;
  if (origin !== expected) return `Origin ${origin} is not ${expected}`;
  return null;
}

/** The cookies of a request by name (the first of each name wins). */
export function readCookies(req: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(part.slice(index + 1).trim()));
    } catch {
      // a malformed value is no session
    }
  }
  return cookies;
}
