/**
 * Postgres COPY text format: one line per row, columns separated by tabs, NULL written `\N`,
 * and backslash, tab, newline and carriage return escaped inside values.
 */

export type CopyValue = string | number | null;

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyField(value: CopyValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot COPY ${value}`);
    return String(value);
  }
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (char) => ESCAPES[char] ?? char) : value;
}

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const N = 0x4e;
const MINUS = 0x2d;
const ZERO = 0x30;

/**
 * Writes COPY text straight into buffers of a few hundred kilobytes: big enough that the stream
 * sees few writes, small enough that backpressure can act between them. Writing bytes rather
 * than building a string per row keeps the garbage collector out of the way, which matters at
 * tens of millions of rows.
 */
export class CopyBuffer {
  private readonly chunks: Buffer[] = [];
  private buffer: Buffer;
  private at = 0;
  private fieldsInRow = 0;
  rows = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  /** A safe integer. */
  int(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`cannot COPY ${value} as an integer`);
    this.separate(21);
    let rest = value;
    if (rest < 0) {
      this.buffer[this.at++] = MINUS;
      rest = -rest;
    }
    let digits = 1;
    for (let scale = 10; scale <= rest; scale *= 10) digits += 1;
    for (let index = this.at + digits - 1; index >= this.at; index -= 1) {
      this.buffer[index] = ZERO + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.at += digits;
    return this;
  }

  /** Text known to hold no special characters and only ASCII (dates, codes, enum values). */
  ascii(value: string): this {
    this.separate(value.length);
    for (let index = 0; index < value.length; index += 1) this.buffer[this.at++] = value.charCodeAt(index);
    return this;
  }

  /** Any text, escaped, UTF-8. */
  text(value: string): this {
    const escaped = copyField(value);
    this.separate(Buffer.byteLength(escaped));
    this.at += this.buffer.write(escaped, this.at, 'utf8');
    return this;
  }

  nul(): this {
    this.separate(2);
    this.buffer[this.at++] = BACKSLASH;
    this.buffer[this.at++] = N;
    return this;
  }

  value(value: CopyValue): this {
    if (value === null) return this.nul();
    return typeof value === 'number' ? this.int(value) : this.text(value);
  }

  /** Ends the row. */
  end(): void {
    this.room(1);
    this.buffer[this.at++] = NEWLINE;
    this.fieldsInRow = 0;
    this.rows += 1;
  }

  row(values: readonly CopyValue[]): void {
    for (const value of values) this.value(value);
    this.end();
  }

  /** Every chunk written, the last partial one included. */
  finish(): Buffer[] {
    if (this.at > 0) this.chunks.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.alloc(0);
    this.at = 0;
    return this.chunks;
  }

  /** Room for a field of up to `bytes` bytes, after a tab when it is not the row's first. */
  private separate(bytes: number): void {
    this.room(bytes + 1);
    if (this.fieldsInRow > 0) this.buffer[this.at++] = TAB;
    this.fieldsInRow += 1;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    // Rows may straddle chunks: COPY data is a byte stream, not a sequence of rows.
    if (this.at > 0) this.chunks.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes));
    this.at = 0;
  }
}
