// A small POSIX-shell reader for hook decisions: splits a command line into simple commands with
// their words and redirections. It does not expand variables; it follows quotes, `$(...)`,
// backticks, process substitution and here-documents well enough to find what a command writes.
// Pure.

/** A redirection: `op` is the operator without its fd (`>`, `>>`, `>|`, `&>`, `<>`, `>&`, ...). */
export interface Redirect {
  op: string;
  target: string;
}

/** One command of a pipeline or list, redirections set apart from its words. */
export interface SimpleCommand {
  words: string[];
  redirects: Redirect[];
}

const SEPARATORS = new Set([';', '&', '|', '(', ')', '\n']);
const REDIRECT_OPS = ['&>>', '&>', '>>', '>|', '>&', '<<<', '<<-', '<<', '<>', '<&', '>', '<'];
const MAX_DEPTH = 8;

// Every simple command in `script`, nested ones (`$(...)`, `bash -c` is left to the caller) included.
export function splitCommands(script: string, depth = 0): SimpleCommand[] {
  const reader = new Reader(script, depth);
  reader.run();
  return reader.commands;
}

class Reader {
  readonly commands: SimpleCommand[] = [];
  #words: string[] = [];
  #redirects: Redirect[] = [];
  #word: string | undefined;
  #pendingOp: string | undefined;
  #heredocs: Array<{ delimiter: string; strip: boolean }> = [];
  #i = 0;
  readonly #s: string;
  readonly #depth: number;

  constructor(script: string, depth: number) {
    this.#s = script;
    this.#depth = depth;
  }

  run(): void {
    const s = this.#s;
    while (this.#i < s.length) {
      const c = s[this.#i] as string;
      if (c === ' ' || c === '\t') {
        this.#endWord();
        this.#i++;
      } else if (c === '#' && this.#word === undefined) {
        while (this.#i < s.length && s[this.#i] !== '\n') this.#i++;
      } else if (c === '\\') {
        if (s[this.#i + 1] === '\n') this.#i += 2;
        else {
          this.#append(s[this.#i + 1] ?? '');
          this.#i += 2;
        }
      } else if (c === "'") {
        const end = s.indexOf("'", this.#i + 1);
        this.#append(s.slice(this.#i + 1, end === -1 ? s.length : end));
        this.#i = end === -1 ? s.length : end + 1;
      } else if (c === '"') this.#doubleQuoted();
      else if (c === '`') this.#nested('`', this.#i + 1);
      else if (c === '$' && s[this.#i + 1] === '(') this.#nested(')', this.#i + 2);
      else if ((c === '<' || c === '>') && s[this.#i + 1] === '(' && this.#word === undefined) this.#nested(')', this.#i + 2);
      else if (this.#redirectAt()) continue;
      else if (SEPARATORS.has(c)) {
        this.#endCommand();
        this.#i++;
        if (c === '\n') this.#skipHeredocs();
      } else {
        this.#append(c);
        this.#i++;
      }
    }
    this.#endCommand();
  }

  #append(text: string): void {
    this.#word = (this.#word ?? '') + text;
  }

  #endWord(): void {
    if (this.#word === undefined) return;
    if (this.#pendingOp !== undefined) {
      if (this.#pendingOp === '<<' || this.#pendingOp === '<<-') this.#heredocs.push({ delimiter: this.#word, strip: this.#pendingOp === '<<-' });
      else this.#redirects.push({ op: this.#pendingOp, target: this.#word });
      this.#pendingOp = undefined;
    } else this.#words.push(this.#word);
    this.#word = undefined;
  }

  #endCommand(): void {
    this.#endWord();
    if (this.#words.length > 0 || this.#redirects.length > 0) this.commands.push({ words: this.#words, redirects: this.#redirects });
    this.#words = [];
    this.#redirects = [];
    this.#pendingOp = undefined;
  }

  // A redirection operator here (optionally after an fd number): the next word is its target.
  #redirectAt(): boolean {
    const s = this.#s;
    const op = REDIRECT_OPS.find((candidate) => s.startsWith(candidate, this.#i));
    if (op === undefined) return false;
    // `2>x` names an fd; `ls>x` ends the word `ls`.
    const fdPrefix = this.#word !== undefined && /^\d+$/.test(this.#word) && !op.startsWith('&');
    if (fdPrefix) this.#word = undefined;
    else this.#endWord();
    this.#pendingOp = op;
    this.#i += op.length;
    return true;
  }

  #doubleQuoted(): void {
    const s = this.#s;
    let text = '';
    this.#i++;
    while (this.#i < s.length && s[this.#i] !== '"') {
      const c = s[this.#i] as string;
      if (c === '\\' && '$`"\\\n'.includes(s[this.#i + 1] ?? '')) {
        if (s[this.#i + 1] !== '\n') text += s[this.#i + 1];
        this.#i += 2;
      } else if (c === '$' && s[this.#i + 1] === '(') {
        this.#append(text);
        text = '';
        this.#nested(')', this.#i + 2);
      } else if (c === '`') {
        this.#append(text);
        text = '';
        this.#nested('`', this.#i + 1);
      } else {
        text += c;
        this.#i++;
      }
    }
    this.#append(text);
    this.#i++;
  }

  // A command substitution: its inner commands are read too; the word keeps its raw text.
  #nested(close: string, from: number): void {
    const end = close === '`' ? this.#s.indexOf('`', from) : matchingParen(this.#s, from);
    const stop = end === -1 ? this.#s.length : end;
    const inner = this.#s.slice(from, stop);
    if (this.#depth < MAX_DEPTH) this.commands.push(...splitCommands(inner, this.#depth + 1));
    this.#append(this.#s.slice(this.#i, Math.min(stop + 1, this.#s.length)));
    this.#i = stop + 1;
  }

  // Here-document bodies start after the line that named them; they are data, not commands.
  #skipHeredocs(): void {
    const s = this.#s;
    for (const { delimiter, strip } of this.#heredocs) {
      while (this.#i < s.length) {
        const newline = s.indexOf('\n', this.#i);
        const lineEnd = newline === -1 ? s.length : newline;
        const line = s.slice(this.#i, lineEnd);
        this.#i = lineEnd + 1;
        if ((strip ? line.replace(/^\t+/, '') : line) === delimiter) break;
      }
    }
    this.#heredocs = [];
  }
}

// The index of the `)` closing a `(` just before `from`, skipping quotes; -1 when unbalanced.
function matchingParen(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end === -1) return -1;
      i = end;
    } else if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}
