/** A line of an upload as staged: its upsert input as JSON text, or why it could not be read. */
export interface StagedLine {
  /** 1-based line number in the uploaded file (for CSV, the line the record ends on). */
  line: number;
  payload: string | null;
  problem: string | null;
}

/** Longer lines are refused (a line error) without being held in memory whole. */
export const MAX_LINE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/** PostgreSQL's jsonb cannot hold the NUL character; such a line fails alone, not its batch. */
const NUL_ESCAPE = /\\u0000/;

/** The upsert input on one NDJSON line: a JSON object, as is. */
function ndjsonLine(line: number, text: string): StagedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { line, payload: null, problem: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line, payload: null, problem: 'must be a JSON object' };
  return jsonLine(line, text);
}

/** A line whose input is the JSON object `json`, unless PostgreSQL could not store it. */
export function jsonLine(line: number, json: string): StagedLine {
  if (NUL_ESCAPE.test(json)) return { line, payload: null, problem: 'contains \\u0000, which cannot be stored' };
  return { line, payload: json, problem: null };
}

/**
 * Splits a byte stream into NDJSON lines as it arrives, holding at most one line (up to
 * MAX_LINE_BYTES) besides the chunk in hand. Blank lines are skipped but keep their number.
 */
export async function* ndjsonLines(body: AsyncIterable<Buffer>): AsyncGenerator<StagedLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let line = 0;
  const take = (tail: Buffer): StagedLine | null => {
    line += 1;
    const bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    const wasOverlong = overlong || bytes.length > MAX_LINE_BYTES;
    pending = [];
    pendingBytes = 0;
    overlong = false;
    if (wasOverlong) return { line, payload: null, problem: `longer than ${MAX_LINE_BYTES} bytes` };
    const text = bytes.toString('utf8').trim();
    return text ? ndjsonLine(line, text) : null;
  };
  for await (const chunk of body) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      const staged = take(chunk.subarray(start, end));
      if (staged) yield staged;
      start = end + 1;
    }
    if (start < chunk.length && !overlong) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_LINE_BYTES) {
        overlong = true;
        pending = [];
      }
    }
  }
  if (pendingBytes > 0 || overlong) {
    const staged = take(Buffer.alloc(0));
    if (staged) yield staged;
  }
}
