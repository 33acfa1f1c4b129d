import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@loanops/runtime';

describe('log redaction', () => {
  it('keeps tokens, passwords, secrets and phone numbers out of log lines', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info', name: 'test', destination });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJhbGciOi.secret.token', cookie: 'sid=abc' } },
        password: 'hunter2-hunter2',
        token: 'abc.def.ghi',
        borrower: { phone: '+919876543210', name: 'Asha' },
        phone: '+919812345678',
        secret: 'jwt-secret-value',
      },
      'a request',
    );
    const text = lines.join('');
    for (const leaked of ['eyJhbGciOi', 'sid=abc', 'hunter2', 'abc.def.ghi', '+919876543210', '+919812345678', 'jwt-secret-value']) {
      expect(text).not.toContain(leaked);
    }
    expect(text).toContain('Asha');
    expect(text).toContain('[redacted]');
  });
});
