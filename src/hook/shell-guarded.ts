// The hook's shell check near guarded state (issue 14, items 2 and 9). A shell command line is
// denied when:
//  - it runs a guard command that only a human may run (ack, repair, restore, init, config), or
//    any guard command with --config / --profile / GUARD_HOME, or carries the human flag;
//  - it names guarded state (a guarded mission's path, the missions root, the guard home, or a
//    directory holding them) and any of its simple commands is not recognisably read-only;
//  - one of its writing commands uses a variable that could hold such a path ($VAR, ${VAR}) or
//    runs in a directory the hook cannot know (`cd $X`), or runs inside a guarded mission.
// Everything else is allowed: commands that touch nothing guarded stay cheap and unhindered.
// The world (which paths are guarded) is supplied by the caller; the analysis itself is pure.
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { isReadOnlyCommand, GUARD_AGENT_COMMANDS } from './shell-readonly.js';
import { splitCommands } from './shell-words.js';

/** The flag that marks a script run by a human (src/cli/human.ts); never accepted from an agent. */
export const HUMAN_FLAG = 'yes-i-am-human';

/** What is guarded, as the hook sees it for one call. */
export interface GuardedWorld {
  home: string;
  /** The guard home and the missions root: nothing under them is an agent's to change. */
  roots: readonly string[];
  /** The guarded mission holding `path` (or being it). */
  missionOf(path: string): string | undefined;
  /** Guarded missions inside an existing directory (a bounded look). */
  missionsUnder(dir: string): string[];
}

/** Why a command line is denied; empty when it is allowed. */
export interface ShellAnalysis {
  /** guard invocations an agent may not run, as written. */
  guardCalls: string[];
  humanFlag: boolean;
  /** Guarded paths the line names, and the missions they belong to. */
  named: Array<{ path: string; mission: string | undefined }>;
  /** Simple commands that are not read-only, as text. */
  writers: string[];
  /** Writers whose target the hook cannot know (a variable, an unknown directory). */
  unknown: string[];
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'busybox']);
const INTERPRETERS = /^(python[\d.]*|node|nodejs|deno|bun|perl|ruby|php|lua|osascript|Rscript|julia|tclsh|awk|gawk|mawk|jshell)$/;
const WRAPPERS = new Set(['sudo', 'doas', 'env', 'command', 'builtin', 'exec', 'nohup', 'time', 'nice', 'ionice', 'stdbuf', 'timeout', 'then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', 'xargs', 'watch', 'setsid', 'chroot', 'unbuffer', 'script']);
/** Wrappers whose first operand is a value, not the command (`timeout 5`, `nice -n 5`). */
const VALUED_WRAPPERS = new Set(['timeout', 'chroot']);
/** Variables that cannot hold a guarded path (or that are resolved: HOME, PWD). */
const SAFE_VARS = /^(PATH|USER|LOGNAME|LANG|LANGUAGE|LC_\w+|TERM|SHELL|HOSTNAME|UID|EUID|PPID|RANDOM|SECONDS|LINENO|BASH_VERSION|BASHPID|OSTYPE|CI|NODE_ENV|NODE_OPTIONS|EDITOR|VISUAL|PAGER|COLUMNS|LINES|SHLVL|TZ|DISPLAY|IFS|OPTARG|OPTIND|REPLY|PIPESTATUS|GITHUB_\w+|RUNNER_\w+|npm_\w+|\d+|[@*#?$!_-])$/;
const GUARD_DENIED_HINT = /\bguard(?:\.js)?['"]?\s*,?\s*['"]?\s*(ack|repair|restore|init|config)\b/;
const MAX_DEPTH = 6;

interface Scope {
  cwd: string | undefined;
  vars: Map<string, string[]>;
}

// Analyse a command line; `cwd` is the payload's.
export function analyseShell(command: string, cwd: string, world: GuardedWorld): ShellAnalysis {
  const analysis: ShellAnalysis = { guardCalls: [], humanFlag: command.includes(HUMAN_FLAG), named: [], writers: [], unknown: [] };
  visit(command, { cwd, vars: new Map() }, world, analysis, 0);
  // Here-document bodies and comments are not words, but a shell fed a here-document runs them:
  // a guarded path anywhere in the text counts as named.
  checkWord(command, { cwd, vars: new Map() }, world, analysis, false);
  return analysis;
}

// Denied when a human-only guard call, the human flag, or a writer near guarded state is found.
export function isDenied(analysis: ShellAnalysis): boolean {
  return analysis.guardCalls.length > 0 || analysis.humanFlag || analysis.unknown.length > 0 || (analysis.named.length > 0 && analysis.writers.length > 0);
}

function visit(script: string, scope: Scope, world: GuardedWorld, out: ShellAnalysis, depth: number): void {
  for (const simple of splitCommands(script)) {
    const { words, assigns } = commandWords(simple.words);
    const text = simple.words.join(' ');
    for (const [name, value] of assigns) {
      checkWord(value, scope, world, out, false);
      scope.vars.set(name, [value]);
    }
    const name = basename(words[0] ?? '');
    const args = words.slice(1);
    // A guard call names no path of its own to deny, but an agent may not approve itself.
    const guardArgs = guardInvocation(words);
    if (guardArgs !== undefined) {
      const sub = guardArgs.find((arg) => !arg.startsWith('-')) ?? guardArgs[0] ?? '--help';
      const badOption = guardArgs.some((arg) => /^--(config|profile)(=|$)/.test(arg));
      if (!GUARD_AGENT_COMMANDS.has(sub) || badOption || assigns.some(([variable]) => variable === 'GUARD_HOME' || variable === 'GUARD_MISSION')) out.guardCalls.push(text);
    }
    if (name === 'cd' || name === 'pushd') {
      const target = args.find((arg) => !arg.startsWith('-'));
      if (target === undefined) scope.cwd = world.home;
      else if (target !== '-') {
        const value = substitute(target, scope, world.home);
        scope.cwd = value.dynamic ? undefined : value.text.includes('$(') || value.text.includes('`') ? scope.cwd : scope.cwd === undefined && !isAbsolute(value.text) ? undefined : resolve(scope.cwd ?? '/', value.text);
        if (scope.cwd !== undefined && isGuardedInside(scope.cwd, world)) out.named.push({ path: scope.cwd, mission: world.missionOf(scope.cwd) });
      }
      continue;
    }
    if (name === 'for' && args[1] === 'in') {
      scope.vars.set(args[0] ?? '', args.slice(2));
      for (const word of args.slice(2)) checkWord(word, scope, world, out, false);
      continue;
    }
    if (name === 'read') {
      for (const arg of args.filter((word) => !word.startsWith('-'))) scope.vars.delete(arg);
      continue;
    }
    if (SHELLS.has(name)) {
      const flag = args.findIndex((arg) => /^-[a-z]*c[a-z]*$/.test(arg));
      const inner = flag === -1 ? undefined : args[flag + 1];
      if (inner !== undefined && depth < MAX_DEPTH) {
        for (const word of args.slice(flag + 2)) checkWord(word, scope, world, out, false);
        visit(inner, { cwd: scope.cwd, vars: new Map(scope.vars) }, world, out, depth + 1);
        continue;
      }
    }
    if (name === 'eval' && depth < MAX_DEPTH) {
      visit(args.join(' '), scope, world, out, depth + 1);
      continue;
    }
    if (INTERPRETERS.test(name) && args.some((arg) => GUARD_DENIED_HINT.test(arg))) out.guardCalls.push(text);
    // Which words name guarded state, and whether this command only reads.
    let dynamic = false;
    const isTarget = (word: string) => {
      const found = checkWord(word, scope, world, undefined, true);
      return found.dynamic || found.guarded;
    };
    for (const word of words) {
      const found = checkWord(word, scope, world, out, true);
      if (found.dynamic) dynamic = true;
    }
    let redirectsSafe = true;
    for (const redirect of simple.redirects) {
      const found = checkWord(redirect.target, scope, world, out, true);
      const writes = /^(>|>>|>\||&>|&>>|<>|>&)$/.test(redirect.op) && !(redirect.op === '>&' && /^(\d+|-)$/.test(redirect.target)) && !/^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/.test(redirect.target);
      if (writes && (found.dynamic || found.guarded)) redirectsSafe = false;
      if (writes && found.dynamic) dynamic = true;
    }
    const readOnly = redirectsSafe && isReadOnlyCommand(words, isTarget) && !INTERPRETERS.test(name) && !SHELLS.has(name);
    if (readOnly) continue;
    out.writers.push(text);
    if (dynamic || scope.cwd === undefined) out.unknown.push(text);
    else if (isGuardedInside(scope.cwd, world)) out.named.push({ path: scope.cwd, mission: world.missionOf(scope.cwd) });
    else {
      // A writer naming a directory that holds guarded missions (`rm -rf /tmp/work`).
      for (const word of words.slice(1)) {
        const value = substitute(word, scope, world.home);
        if (value.dynamic || word.startsWith('-')) continue;
        const path = resolve(scope.cwd, value.text);
        for (const mission of world.missionsUnder(globBase(path))) {
          if (globReaches(path, mission)) out.named.push({ path, mission });
        }
      }
    }
  }
}

/** `node bin/guard ack`, `npx guard ack`, `guard ack`: the guard's arguments, else undefined. */
function guardInvocation(words: readonly string[]): string[] | undefined {
  const name = basename(words[0] ?? '');
  if (name === 'guard' || name === 'mission-guard') return words.slice(1);
  if (/^(node|nodejs|npx|bunx|bun|pnpm|yarn|deno)$/.test(name)) {
    const index = words.findIndex((word, i) => i > 0 && /(^|\/)(guard|mission-guard)(\.js)?$/.test(word));
    if (index !== -1) return words.slice(index + 1);
  }
  return undefined;
}

// The words after assignments and wrappers; the assignments apart.
function commandWords(all: readonly string[]): { words: string[]; assigns: Array<[string, string]> } {
  const words = [...all];
  const assigns: Array<[string, string]> = [];
  for (;;) {
    const first = words[0];
    if (first === undefined) break;
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(first);
    if (assign !== null) {
      assigns.push([assign[1] as string, assign[2] as string]);
      words.shift();
    } else if (first === 'export' || first === 'local' || first === 'declare' || first === 'readonly') {
      const rest = words.slice(1).filter((word) => !word.startsWith('-'));
      for (const word of rest) {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
        if (match !== null) assigns.push([match[1] as string, match[2] as string]);
      }
      return { words: [first], assigns };
    } else if (WRAPPERS.has(basename(first)) && words.length > 1) {
      words.shift();
      while (words[0] !== undefined && words[0].startsWith('-') && words.length > 1) {
        const option = words.shift() as string;
        if (/^-(n|u|g|C|s|k|I|P|L|d|E|a|o|e)$/.test(option) && words.length > 1) words.shift();
      }
      if (VALUED_WRAPPERS.has(basename(first)) && words.length > 1) words.shift();
    } else break;
  }
  return { words, assigns };
}

interface WordCheck {
  guarded: boolean;
  dynamic: boolean;
}

// Does `word` name guarded state? Records what it names in `out`, when given.
function checkWord(word: string, scope: Scope, world: GuardedWorld, out: ShellAnalysis | undefined, asPath: boolean): WordCheck {
  const value = asPath ? substitute(word, scope, world.home) : { text: word, alternatives: [word.replace(/(^|[\s'"=])~(?=\/)/g, `$1${world.home}`).replace(/\$\{?HOME\}?(?=\/)/g, world.home)], dynamic: false };
  let guarded = false;
  const note = (path: string) => {
    guarded = true;
    out?.named.push({ path, mission: world.missionOf(path) });
  };
  for (const text of value.alternatives) {
    const candidates = new Set<string>();
    if (asPath && !text.startsWith('-') && text !== '' && (scope.cwd !== undefined || isAbsolute(text))) candidates.add(resolve(scope.cwd ?? '/', text));
    const equals = text.indexOf('=');
    if (equals !== -1 && equals < text.length - 1 && (scope.cwd !== undefined || isAbsolute(text.slice(equals + 1)))) candidates.add(resolve(scope.cwd ?? '/', text.slice(equals + 1)));
    for (const match of text.matchAll(/(?<![\w.~-])\/(?:[\w.~@+-]+\/?)+/g)) candidates.add(resolve(match[0]));
    for (const path of candidates) if (namesGuarded(path, world)) note(path);
    // Paths an interpreter builds from the home dir (`expanduser('~') + '/.factory/missions'`).
    for (const root of world.roots) {
      const tail = relative(world.home, root);
      if (tail !== '' && !tail.startsWith('..') && !isAbsolute(tail) && text.includes(tail)) note(root);
    }
  }
  return { guarded, dynamic: value.dynamic };
}

interface Substituted {
  text: string;
  /** Every text the word can stand for (a `for` variable holds several). */
  alternatives: string[];
  /** It uses a variable the hook cannot know. */
  dynamic: boolean;
}

// Expand `~`, $HOME, $PWD and variables assigned in the line; anything else unknown is dynamic.
function substitute(word: string, scope: Scope, home: string): Substituted {
  let dynamic = false;
  let alternatives = [word.replace(/^~(?=\/|$)/, home)];
  const variable = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!_-])[^}]*\}|([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!_-]))/g;
  const names = [...word.matchAll(variable)];
  for (const match of names) {
    const name = (match[1] ?? match[2]) as string;
    let values: string[];
    if (name === 'HOME') values = [home];
    else if (name === 'PWD') values = scope.cwd === undefined ? [''] : [scope.cwd];
    else if (scope.vars.has(name)) values = scope.vars.get(name) as string[];
    else {
      if (!SAFE_VARS.test(name)) dynamic = true;
      values = [''];
    }
    alternatives = alternatives.flatMap((text) => values.map((value) => text.replace(match[0], () => value)));
    if (alternatives.length > 64) alternatives = alternatives.slice(0, 64);
  }
  return { text: alternatives[0] as string, alternatives, dynamic };
}

// Inside or equal to a root or a guarded mission, or an ancestor of a root.
function namesGuarded(path: string, world: GuardedWorld): boolean {
  if (isGuardedInside(path, world)) return true;
  const base = globBase(path);
  return world.roots.some((root) => isWithin(root, base) && globReaches(path, root));
}

function isGuardedInside(path: string, world: GuardedWorld): boolean {
  return world.roots.some((root) => isWithin(path, root)) || world.missionOf(path) !== undefined;
}

function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

// The directory a glob path lists: the path itself when it has no glob characters.
function globBase(path: string): string {
  return /[*?[]/.test(basename(path)) ? dirname(path) : path;
}

// Can `path` (maybe ending in a glob) reach `target`, a path at or below its directory?
function globReaches(path: string, target: string): boolean {
  const name = basename(path);
  if (!/[*?[]/.test(name)) return isWithin(target, path);
  const base = dirname(path);
  if (!isWithin(target, base) || target === base) return false;
  const next = relative(base, target).split(sep)[0] as string;
  if (next.startsWith('.') && !name.startsWith('.')) return false;
  const source = name.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  try {
    return new RegExp(`^${source}$`).test(next);
  } catch {
    return true;
  }
}
