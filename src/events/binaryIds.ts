/**
 * Compact binary forms of ids and counts, for what seqscore keeps in Redis: an id that is a decimal
 * integer below 2^32 (as in most catalogues) takes four bytes, any other id its UTF-8 bytes after a
 * varint length. The caller records which form an id took.
 */
const U32_LIMIT = 2 ** 32;
const MAX_NUMERIC_DIGITS = 10;
const ZERO = 0x30;

/**
 * A zero-filled buffer, carved from Node's shared pool when it is small. Buffer.alloc gives every
 * buffer an ArrayBuffer of its own, and each young ArrayBuffer costs the scavenger a sweep: with
 * several per event, about a quarter of a scoring thread's scavenge time at 5,000 events/s.
 */
export function pooledBuffer(size: number): Buffer {
  return Buffer.allocUnsafe(size).fill(0);
}

/**
 * Whether `id` is a decimal integer below 2^32 without leading zeros (so that it reads back the
 * same). Character by character: a score message checks ten ids, and a regular expression and
 * Number() took about twice as long.
 */
export function isNumericId(id: string): boolean {
  const length = id.length;
  if (length === 0 || length > MAX_NUMERIC_DIGITS) return false;
  if (id.charCodeAt(0) === ZERO) return length === 1;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = id.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return false;
    value = value * 10 + digit;
  }
  return value < U32_LIMIT;
}

export function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

/** Writes `value` at `at`; returns the position after it. */
export function writeVarint(buffer: Buffer, value: number, at: number): number {
  let rest = value;
  let position = at;
  while (rest >= 0x80) {
    buffer[position++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  buffer[position++] = rest;
  return position;
}

/** The longest id that shortAscii decodes. */
const SHORT_ID_BYTES = 16;

/**
 * The string of `length` bytes at `start` when they are at most 16 ASCII bytes (their UTF-8
 * decoding is then their char codes), else undefined. A history decodes two ids for each of its
 * steps; Buffer's decoder took about 45 ns for an id of 6 bytes, String.fromCharCode 11 to 16.
 */
function shortAscii(bytes: Buffer, start: number, length: number): string | undefined {
  if (length > SHORT_ID_BYTES) return undefined;
  let bits = 0;
  for (let i = 0; i < length; i++) bits |= bytes[start + i] as number;
  if (bits >= 0x80) return undefined;
  return length <= 8
    ? upToEightChars(bytes, start, length)
    : upToEightChars(bytes, start, 8) + upToEightChars(bytes, start + 8, length - 8);
}

/** Written out: a helper closure here cost more than the decoding it replaced (its name is set per call). */
function upToEightChars(b: Buffer, s: number, length: number): string {
  switch (length) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(b[s] as number);
    case 2:
      return String.fromCharCode(b[s] as number, b[s + 1] as number);
    case 3:
      return String.fromCharCode(b[s] as number, b[s + 1] as number, b[s + 2] as number);
    case 4:
      return String.fromCharCode(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number);
    case 5:
      return String.fromCharCode(
        b[s] as number,
        b[s + 1] as number,
        b[s + 2] as number,
        b[s + 3] as number,
        b[s + 4] as number,
      );
    case 6:
      return String.fromCharCode(
        b[s] as number,
        b[s + 1] as number,
        b[s + 2] as number,
        b[s + 3] as number,
        b[s + 4] as number,
        b[s + 5] as number,
      );
    case 7:
      return String.fromCharCode(
        b[s] as number,
        b[s + 1] as number,
        b[s + 2] as number,
        b[s + 3] as number,
        b[s + 4] as number,
        b[s + 5] as number,
        b[s + 6] as number,
      );
    default:
      return String.fromCharCode(
        b[s] as number,
        b[s + 1] as number,
        b[s + 2] as number,
        b[s + 3] as number,
        b[s + 4] as number,
        b[s + 5] as number,
        b[s + 6] as number,
        b[s + 7] as number,
      );
  }
}

/**
 * Reads varints and ids from `buffer` at `position`, moving it past what it read. A window is
 * decoded with one reader: functions that returned `{ value, next }` made four short-lived objects
 * an entry (about 90 bytes), which V8 did not optimise away, and a window of 50 entries is read for
 * every event.
 */
export class ByteReader {
  constructor(
    readonly buffer: Buffer,
    public position = 0,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.buffer[this.position++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  /** An id as `writeId` wrote it; `numeric` is what the writer recorded. */
  id(numeric: boolean): string {
    if (numeric) {
      const id = String(this.buffer.readUInt32BE(this.position));
      this.position += 4;
      return id;
    }
    const length = this.varint();
    const id =
      shortAscii(this.buffer, this.position, length) ??
      this.buffer.toString('utf8', this.position, this.position + length);
    this.position += length;
    return id;
  }

  skipId(numeric: boolean): void {
    // Not `position += varint()`: that would add to the position from before the length was read.
    const length = numeric ? 4 : this.varint();
    this.position += length;
  }
}

/** The bytes `writeId` takes for `id`; `numeric` is isNumericId(id), which the caller records. */
export function idByteLength(id: string, numeric: boolean): number {
  if (numeric) return 4;
  const length = Buffer.byteLength(id, 'utf8');
  return varintLength(length) + length;
}

/** The longest id written byte by byte; longer ones, rare, go through Buffer's encoder. */
const ASCII_WRITE_LIMIT = 64;

/** Whether every character is ASCII: its UTF-8 bytes are then its char codes. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * Writes `id` at `at` (the caller sized the buffer with idByteLength); returns the position after
 * it. In place, not as arrays of bytes to concatenate: a stored score holds ten ids, and storing
 * one took 7.3 µs that way against 3.2 µs now.
 */
export function writeId(buffer: Buffer, id: string, numeric: boolean, at: number): number {
  if (numeric) return buffer.writeUInt32BE(Number(id), at);
  if (id.length <= ASCII_WRITE_LIMIT && isAscii(id)) {
    // Byte by byte: Buffer's encoder took about 90 ns for an id of six characters, this about 15.
    let position = writeVarint(buffer, id.length, at);
    for (let i = 0; i < id.length; i++) buffer[position++] = id.charCodeAt(i);
    return position;
  }
  const next = writeVarint(buffer, Buffer.byteLength(id, 'utf8'), at);
  return next + buffer.write(id, next, 'utf8');
}
