// What a file-writing tool call would leave on disk, computed before it runs. Pure: the current
// contents come from a reader the caller supplies.
import { applyHunks, type Hunk } from './apply-patch.js';

/** One replacement of an Edit or MultiEdit. */
export interface TextEdit {
  old: string;
  new: string;
  /** Replace every occurrence (change_all / replace_all); else only the first. */
  all: boolean;
}

/** One file effect of a tool call; paths are absolute. */
export type FileOp =
  | { kind: 'write'; path: string; content: string }
  | { kind: 'edit'; path: string; edits: TextEdit[] }
  /** An ApplyPatch update: `from` is read, the result lands at `path`; on a move `from` goes away. */
  | { kind: 'patch'; path: string; from: string; hunks: Hunk[] }
  | { kind: 'delete'; path: string };

/** What a file would hold after the call: text, nothing (deleted), or unknown (the tool fails). */
export type Outcome = { kind: 'text'; text: string } | { kind: 'deleted' } | { kind: 'unknown'; why: string };

// Apply replacements in order; undefined when an old text is missing (the tool then fails).
export function applyEdits(current: string | null, edits: readonly TextEdit[]): string | undefined {
  let text = current;
  for (const edit of edits) {
    if (edit.old === '') {
      // An empty old text creates the file (both agents); on a non-empty file the tool refuses.
      if (text !== null && text !== '') return undefined;
      text = edit.new;
      continue;
    }
    if (text === null) return undefined;
    const at = text.indexOf(edit.old);
    if (at === -1) return undefined;
    text = edit.all ? text.split(edit.old).join(edit.new) : text.slice(0, at) + edit.new + text.slice(at + edit.old.length);
  }
  return text ?? undefined;
}

// The final outcome of every path the ops touch, applying them in order over the current files.
export function proposeOutcomes(ops: readonly FileOp[], read: (path: string) => string | null): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  const current = (path: string): Outcome => {
    const known = outcomes.get(path);
    if (known !== undefined) return known;
    const text = read(path);
    return text === null ? { kind: 'deleted' } : { kind: 'text', text };
  };
  for (const op of ops) {
    const outcome = outcomeOf(op, current);
    outcomes.set(op.path, outcome);
    // A move takes its source away, but only if the patch applies.
    if (op.kind === 'patch' && op.from !== op.path) outcomes.set(op.from, outcome.kind === 'text' ? { kind: 'deleted' } : outcome);
  }
  return outcomes;
}

function outcomeOf(op: FileOp, current: (path: string) => Outcome): Outcome {
  switch (op.kind) {
    case 'write':
      return { kind: 'text', text: op.content };
    case 'delete':
      return { kind: 'deleted' };
    case 'edit': {
      const before = current(op.path);
      if (before.kind === 'unknown') return before;
      const text = applyEdits(before.kind === 'text' ? before.text : null, op.edits);
      return text === undefined ? { kind: 'unknown', why: 'the text to replace is not in the file, so the edit will fail' } : { kind: 'text', text };
    }
    case 'patch': {
      const before = current(op.from);
      if (before.kind === 'unknown') return before;
      if (before.kind === 'deleted') return { kind: 'unknown', why: 'the patch updates a file that does not exist, so it will fail' };
      const text = applyHunks(before.text, op.hunks);
      return text === undefined ? { kind: 'unknown', why: 'a hunk of the patch does not match the file, so the patch will fail' } : { kind: 'text', text };
    }
  }
}
