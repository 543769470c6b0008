// Decoding and parsing stages of the judge (DESIGN.md §6.2-3): UTF-8, JSON / JSON Lines,
// depth limit and duplicate keys. Never throws: every problem becomes an Issue.
import type { Issue } from './types.js';

export interface ParseLimits {
  maxDepth: number;
  /** Duplicate keys make scheduling and evidence state ambiguous, so they are issues there. */
  rejectDuplicateKeys: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Bytes to text, refusing invalid UTF-8 and a byte order mark (droid never writes one). `offset`
// is where `bytes` sit in the file (an appended log tail), so messages name offsets in the file.
export function decodeUtf8(bytes: Uint8Array, offset = 0): Parsed<string> {
  if (offset === 0 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return fail('bom', '', 'file starts with a UTF-8 byte order mark; JSON artifacts must not have one');
  }
  try {
    return { ok: true, value: utf8.decode(bytes) };
  } catch {
    return fail('not-utf8', '', `file is not valid UTF-8 (${describeInvalidUtf8(bytes, offset)})`);
  }
}

// One JSON document: one structural scan for depth and keys, native JSON.parse for the value.
// The depth limit is enforced before JSON.parse, which builds the whole nesting first: 16 MiB of
// brackets (under the size limit) took ~1 GB and ran a 256 MB heap out of memory.
export function parseJson(text: string, limits: ParseLimits): Parsed<unknown> {
  if (text.trim() === '') return fail('empty', '', 'file is empty');
  const structural = scanStructure(text, limits);
  if (structural.some((issue) => issue.code === 'too-deep')) return { ok: false, issues: structural };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail('parse', '', `not valid JSON: ${(error as Error).message}`);
  }
  return structural.length > 0 ? { ok: false, issues: structural } : { ok: true, value };
}

/** A parsed JSON Lines file: one value per non-blank line, with its 1-based line number. */
export interface JsonLine {
  line: number;
  value: unknown;
}

// JSON Lines: every non-blank line is one JSON document. `firstLine` numbers a parsed tail.
export function parseJsonLines(text: string, limits: ParseLimits, firstLine = 1): Parsed<JsonLine[]> {
  const lines = text.split('\n');
  const values: JsonLine[] = [];
  const issues: Issue[] = [];
  lines.forEach((raw, index) => {
    const line = firstLine + index;
    const body = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (body.trim() === '') return;
    const parsed = parseJson(body, limits);
    if (parsed.ok) values.push({ line, value: parsed.value });
    else issues.push(...parsed.issues.map((issue) => ({ ...issue, line, message: `line ${line}: ${issue.message}` })));
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: values };
}

function fail(code: Issue['code'], pointer: string, message: string): { ok: false; issues: Issue[] } {
  return { ok: false, issues: [{ code, pointer, message }] };
}

function describeInvalidUtf8(bytes: Uint8Array, offset: number): string {
  let low = 0;
  let high = bytes.length;
  // Binary search for the first prefix that fails to decode: a readable byte offset for the user.
  // A fresh decoder per probe: a streaming decoder keeps a partial character from the last probe.
  while (low < high) {
    const mid = (low + high) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      low = mid + 1;
    } catch {
      high = mid;
    }
  }
  if (low < bytes.length) return `first bad byte at offset ${offset + low}`;
  // Every prefix decodes: the file ends inside a multi-byte character. Name where it starts.
  let start = bytes.length - 1;
  while (start > 0 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start--;
  return `the file ends inside a multi-byte character starting at offset ${offset + start}`;
}

/**
 * Theory of operation: this scan runs before JSON.parse, so `text` may be any garbage; it only
 * tracks strings, brackets and object keys, never throws, and its findings count only once
 * JSON.parse has accepted the text (except too-deep, which stops both). It walks the text once,
 * keeping one key set per open object.
 */
interface Frame {
  isObject: boolean;
  keys: Set<string> | null;
  path: string;
  index: number;
}

function scanStructure(text: string, limits: ParseLimits): Issue[] {
  const issues: Issue[] = [];
  const stack: Frame[] = [];
  let expectingKey = false;
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = endOfString(text, i);
      const top = stack[stack.length - 1];
      if (expectingKey && top !== undefined) {
        const raw = text.slice(i + 1, end);
        lastKey = raw.includes('\\') ? decodeKey(text.slice(i, end + 1)) : raw;
        if (top.keys?.has(lastKey)) {
          issues.push({
            code: 'duplicate-key',
            pointer: `${top.path}/${escapePointer(lastKey)}`,
            message: `key "${lastKey}" appears more than once in the object at ${top.path || '(document root)'}`,
          });
        }
        top.keys?.add(lastKey);
        expectingKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const path = childPath(stack[stack.length - 1], lastKey);
      if (stack.length >= limits.maxDepth) {
        return [{ code: 'too-deep', pointer: path, message: `nesting is deeper than ${limits.maxDepth} levels` }];
      }
      const isObject = c === 0x7b;
      stack.push({ isObject, keys: isObject && limits.rejectDuplicateKeys ? new Set() : null, path, index: 0 });
      expectingKey = isObject;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectingKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top !== undefined) {
        top.index++;
        expectingKey = top.isObject;
      }
    }
  }
  return issues;
}

// A quoted key with escapes; in text JSON.parse would refuse, the raw spelling will do.
function decodeKey(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

// Index just past the closing quote of the string opening at `start`, minus one.
function endOfString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote === -1) return text.length - 1;
    let backslashes = 0;
    for (let j = quote - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

function childPath(top: Frame | undefined, lastKey: string): string {
  if (top === undefined) return '';
  return top.isObject ? `${top.path}/${escapePointer(lastKey)}` : `${top.path}/${top.index}`;
}

// RFC 6901 escaping of one pointer segment.
export function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}
