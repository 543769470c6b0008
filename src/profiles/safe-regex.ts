// A conservative check that a JSON Schema `pattern` cannot backtrack catastrophically. ajv runs
// patterns with JavaScript's backtracking engine (no linear engine is available without native
// dependencies), and one pattern like `^(a+)+$` blocked the guardian for 70 s on 31 characters.
// Refused: a quantified group that holds another unbounded quantifier (star height 2), a quantified
// group with alternatives that can start alike, backreferences, and more than a few unbounded
// quantifiers in one pattern (each one multiplies the work on a failing match). Pure.

/** At most this many unbounded quantifiers (`*`, `+`, `{n,}`) in one pattern. */
export const MAX_UNBOUNDED_QUANTIFIERS = 4;
/** Patterns longer than this are refused outright. */
export const MAX_PATTERN_LENGTH = 1000;

interface Group {
  /** Unbounded quantifiers met inside this group so far (nested groups included). */
  unbounded: number;
  /** The alternatives' first tokens, to tell whether they can start alike. */
  branches: string[][];
}

// Why `pattern` is unsafe, or undefined when it passes.
export function unsafePatternReason(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `it is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    return `it is not a valid regular expression (${(error as Error).message})`;
  }
  const stack: Group[] = [{ unbounded: 0, branches: [[]] }];
  let total = 0;
  // The token just closed (a group's summary, or an atom) that a quantifier would apply to.
  let last: { group?: Group; token: string } | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    const top = stack[stack.length - 1] as Group;
    const branch = top.branches[top.branches.length - 1] as string[];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'it uses a backreference, which can take exponential time';
      last = { token: `\\${next}` };
      branch.push(last.token);
      i++;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      last = { token: pattern.slice(i, j + 1) };
      branch.push(last.token);
      i = j;
      continue;
    }
    if (c === '(') {
      stack.push({ unbounded: 0, branches: [[]] });
      if (pattern[i + 1] === '?') {
        // (?:, (?=, (?!, (?<=, (?<!, (?<name>
        i += pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!' ? pattern.indexOf('>', i) - i : pattern[i + 2] === '<' ? 3 : 2;
      }
      last = undefined;
      continue;
    }
    if (c === ')') {
      const group = stack.pop() as Group;
      const parent = stack[stack.length - 1] as Group;
      parent.unbounded += group.unbounded;
      const token = `(${group.branches.map((b) => b.join('')).join('|')})`;
      (parent.branches[parent.branches.length - 1] as string[]).push(token);
      last = { group, token };
      continue;
    }
    if (c === '|') {
      top.branches.push([]);
      last = undefined;
      continue;
    }
    const quantifier = /^(\*|\+|\?|\{\d+(,\d*)?\})\??/.exec(pattern.slice(i));
    if (quantifier !== null && last !== undefined) {
      const text = quantifier[1] as string;
      const unbounded = text === '*' || text === '+' || /^\{\d+,\}$/.test(text);
      const repeats = unbounded || /^\{\d+,\d+\}$/.test(text) || (/^\{(\d+)\}$/.test(text) && Number(/\d+/.exec(text)?.[0]) > 1);
      if (last.group !== undefined && repeats) {
        if (last.group.unbounded > 0) return `it repeats a group that holds a repetition (${last.token}${text}), which can take exponential time`;
        if (overlappingBranches(last.group.branches)) return `it repeats a group whose alternatives can match the same text (${last.token}${text}), which can take exponential time`;
      }
      if (unbounded) {
        total++;
        top.unbounded++;
      }
      i += quantifier[0].length - 1;
      last = undefined;
      continue;
    }
    last = { token: c };
    branch.push(c);
  }
  if (total > MAX_UNBOUNDED_QUANTIFIERS) return `it has ${total} unbounded repetitions (at most ${MAX_UNBOUNDED_QUANTIFIERS}), which can take polynomial time on long strings`;
  return undefined;
}

// Alternatives are safe to repeat only when each is literal and no two start with the same
// character (`(a|b)*`, `(foo|bar)+`); anything else (`(a|ab)*`, `(\w|x)*`) is refused.
function overlappingBranches(branches: string[][]): boolean {
  if (branches.length < 2) return false;
  const firsts = new Set<string>();
  for (const branch of branches) {
    const first = branch[0];
    if (first === undefined || first.length !== 1 || /[.^$]/.test(first)) return true;
    if (branch.some((token) => token.length !== 1 && !/^\\[^dDwWsSbB]$/.test(token))) return true;
    if (firsts.has(first)) return true;
    firsts.add(first);
  }
  return false;
}
