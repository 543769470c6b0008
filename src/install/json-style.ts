// Reading and rewriting a user's JSON settings in the style they already use (indent, line
// endings, final newline, BOM), so a hook install shows up in a diff as the hooks and nothing else.
import { GuardError } from '../errors.js';
import { isRecord } from '../core/pointer.js';
import type { JsonObject } from './hook-entries.js';

/** How a settings file is laid out, as far as JSON.stringify can reproduce it. */
export interface JsonStyle {
  indent: string;
  eol: '\n' | '\r\n';
  finalNewline: boolean;
  bom: boolean;
}

/** For files the guard creates. */
export const DEFAULT_JSON_STYLE: JsonStyle = { indent: '  ', eol: '\n', finalNewline: true, bom: false };

// The style of existing settings text; a one-line document stays on one line.
export function detectJsonStyle(text: string): JsonStyle {
  const bom = text.startsWith('\uFEFF');
  const body = bom ? text.slice(1) : text;
  const trimmed = body.trim();
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const finalNewline = trimmed === '' ? true : /\n\s*$/.test(body);
  const indented = /\n([ \t]+)\S/.exec(trimmed);
  const indent = indented !== null ? indented[1]! : !trimmed.includes('\n') && trimmed.length > 2 ? '' : DEFAULT_JSON_STYLE.indent;
  return { indent, eol, finalNewline, bom };
}

// `value` as text in `style`.
export function formatJson(value: unknown, style: JsonStyle): string {
  const json = JSON.stringify(value, null, style.indent === '' ? undefined : style.indent);
  const lines = style.eol === '\n' ? json : json.replaceAll('\n', '\r\n');
  return `${style.bom ? '\uFEFF' : ''}${lines}${style.finalNewline ? style.eol : ''}`;
}

// Settings text as an object; blank text is an empty object. Anything else is CONFIG_INVALID.
export function parseSettingsText(text: string, file: string): JsonObject {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    throw new GuardError('CONFIG_INVALID', `${file} is not plain JSON (${(error as Error).message}); guard init edits only plain JSON (no comments or trailing commas). Fix the file, or add the hooks by hand.`);
  }
  if (!isRecord(doc)) throw new GuardError('CONFIG_INVALID', `${file} does not hold a JSON object; fix it or add the hooks by hand.`);
  return doc;
}
