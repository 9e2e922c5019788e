/**
 * Compact binary forms of ids and counts, for what seqscore keeps in Redis: an id that is a decimal
 * integer below 2^32 (as in most catalogues) takes four bytes, any other id its UTF-8 bytes after a
 * varint length. The caller records which form an id took.
 */
const NUMERIC_ID = /^(0|[1-9][0-9]{0,9})$/;
const U32_LIMIT = 2 ** 32;

export function isNumericId(id: string): boolean {
  return NUMERIC_ID.test(id) && Number(id) < U32_LIMIT;
}

export function varintBytes(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

export function readVarint(buffer: Buffer, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  let position = at;
  for (;;) {
    const byte = buffer[position++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: position };
    scale *= 0x80;
  }
}

export function idBytes(id: string): number[] {
  if (isNumericId(id)) {
    const n = Number(id);
    return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  }
  const utf8 = Buffer.from(id, 'utf8');
  return [...varintBytes(utf8.length), ...utf8];
}

export function readId(buffer: Buffer, at: number, numeric: boolean): { id: string; next: number } {
  if (numeric) return { id: String(buffer.readUInt32BE(at)), next: at + 4 };
  const { value: length, next } = readVarint(buffer, at);
  return { id: buffer.toString('utf8', next, next + length), next: next + length };
}
