// Which files a shell command would write, move away or delete (DESIGN.md §10: shell writes to
// artifacts are denied). Reading commands name no targets. Pure: paths are resolved lexically
// against the payload cwd; the caller looks at the file system.
import { basename, resolve } from 'node:path';
import { splitCommands, type SimpleCommand } from './shell-words.js';

/** One file a command would change. */
export interface ShellWrite {
  /** Absolute; may hold a glob in its last segment (`rm *.json`). */
  path: string;
  /** How, for the message: `> redirection`, `tee`, `sed -i`, `rm`, ... */
  how: string;
  /** The command removes or moves the path away: a directory here takes its contents with it. */
  removes: boolean;
  /** cp/mv/install/ln: when `path` is a directory, the files land at path/basename(source). */
  sources?: string[];
}

/** Where relative paths and `~` point for this command. */
export interface ShellContext {
  cwd: string;
  home: string;
}

const WRAPPERS = new Set(['sudo', 'doas', 'env', 'command', 'builtin', 'exec', 'nohup', 'time', 'nice', 'ionice', 'stdbuf', 'timeout', 'then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{']);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh']);
const MAX_DEPTH = 4;

// Every write target of a command line; `cd` changes the cwd of the commands after it.
export function shellWrites(command: string, context: ShellContext, depth = 0): ShellWrite[] {
  const writes: ShellWrite[] = [];
  let cwd = context.cwd;
  for (const simple of splitCommands(command)) {
    const at = (word: string) => resolve(cwd, expandHome(word, context.home));
    for (const redirect of simple.redirects) {
      if (!/^(>|>>|>\||&>|&>>|<>|>&)$/.test(redirect.op)) continue;
      if (redirect.op === '>&' && /^(\d+|-)$/.test(redirect.target)) continue;
      if (/^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/.test(redirect.target)) continue;
      writes.push({ path: at(redirect.target), how: `${redirect.op} redirection`, removes: false });
    }
    const words = commandWords(simple);
    const name = basename(words[0] ?? '');
    const args = words.slice(1);
    if (name === 'cd' || name === 'pushd') {
      cwd = args[0] === undefined || args[0] === '-' ? cwd : at(args[0]);
      continue;
    }
    if (SHELLS.has(name) && depth < MAX_DEPTH) {
      const script = args[args.indexOf('-c') + 1];
      if (args.includes('-c') && script !== undefined) writes.push(...shellWrites(script, { ...context, cwd }, depth + 1));
      continue;
    }
    if (name === 'eval' && depth < MAX_DEPTH) {
      writes.push(...shellWrites(args.join(' '), { ...context, cwd }, depth + 1));
      continue;
    }
    writes.push(...commandWrites(name, args).map((write) => ({ ...write, path: at(write.path), ...(write.sources === undefined ? {} : { sources: write.sources.map(at) }) })));
  }
  return writes;
}

// The words after assignments and wrappers (`sudo`, `env X=1`, `timeout 5`, ...).
function commandWords(simple: SimpleCommand): string[] {
  const words = [...simple.words];
  for (;;) {
    const first = words[0];
    if (first === undefined) return words;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first) || first.startsWith('-')) words.shift();
    else if (WRAPPERS.has(basename(first))) {
      words.shift();
      if ((first === 'timeout' || first === 'nice') && words[0] !== undefined && /^[\d.]+[smhd]?$/.test(words[0])) words.shift();
    } else return words;
  }
}

type Target = Omit<ShellWrite, 'path' | 'sources'> & { path: string; sources?: string[] };

// Targets named by one command's arguments (relative, not yet resolved).
function commandWrites(name: string, args: string[]): Target[] {
  switch (name) {
    case 'tee':
    case 'sponge':
      return operands(args, []).map((path) => ({ path, how: name, removes: false }));
    case 'rm':
    case 'unlink':
    case 'shred':
      return operands(args, []).map((path) => ({ path, how: name, removes: true }));
    case 'truncate':
      return operands(args, ['-s', '--size', '-r', '--reference']).map((path) => ({ path, how: 'truncate', removes: false }));
    case 'dd':
      return args.filter((arg) => arg.startsWith('of=')).map((arg) => ({ path: arg.slice(3), how: 'dd of=', removes: false }));
    case 'cp':
    case 'mv':
    case 'install':
    case 'ln':
      return copyWrites(name, args);
    case 'sed':
    case 'gsed':
      return inPlaceFiles(args, { inPlace: 'i', script: 'ef', valued: 'l', longInPlace: '--in-place', longScript: ['--expression', '--file'] }).map((path) => ({ path, how: 'sed -i', removes: false }));
    case 'perl':
    case 'ruby':
      return inPlaceFiles(args, { inPlace: 'i', script: 'eE', valued: 'IMmx', longInPlace: undefined, longScript: [] }).map((path) => ({ path, how: `${name} -i`, removes: false }));
    case 'awk':
    case 'gawk': {
      const inplace = args.some((arg, index) => (arg === '-i' || arg === '--include') && args[index + 1] === 'inplace') || args.includes('-iinplace') || args.includes('--include=inplace');
      return inplace ? inPlaceFiles(args, { inPlace: 'i', script: 'f', valued: 'vF', longInPlace: '--include', longScript: ['--file'], inPlaceValued: true }).map((path) => ({ path, how: 'awk -i inplace', removes: false })) : [];
    }
    default:
      return [];
  }
}

// cp/mv/install/ln: the destination (or -t DIR) receives the sources; mv also removes them.
function copyWrites(name: string, args: string[]): Target[] {
  if (name === 'install' && args.some((arg) => arg === '-d' || arg === '--directory')) return [];
  const valued = ['-t', '--target-directory', '-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group'];
  let targetDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    if (arg === '-t' || arg === '--target-directory') targetDir = args[i + 1];
    else if (arg.startsWith('--target-directory=')) targetDir = arg.slice('--target-directory='.length);
    else if (/^-t./.test(arg)) targetDir = arg.slice(2);
  }
  const names = operands(args, valued);
  // `ln TARGET` alone links into the current directory.
  const lone = targetDir === undefined && names.length === 1 && name === 'ln';
  const sources = targetDir !== undefined || lone ? names : names.slice(0, -1);
  const destination = targetDir ?? (lone ? '.' : names.length >= 2 ? names.at(-1) : undefined);
  const writes: Target[] = [];
  if (destination !== undefined) writes.push({ path: destination, how: name, removes: false, sources });
  if (name === 'mv') writes.push(...sources.map((path) => ({ path, how: 'mv (source)', removes: true })));
  return writes;
}

/** How one in-place editor spells its options (letters of single-dash clusters). */
interface InPlaceSyntax {
  inPlace: string;
  /** Options that give the script (so no operand is the script). */
  script: string;
  /** Other options that take a value. */
  valued: string;
  longInPlace: string | undefined;
  longScript: string[];
  /** The in-place option takes a value (`awk -i inplace`) instead of an attached suffix. */
  inPlaceValued?: boolean;
}

// Files edited in place by sed -i, perl -pi, awk -i inplace: the operands after the script (the
// first operand is the script unless an option gave it). None without the in-place option.
function inPlaceFiles(args: string[], syntax: InPlaceSyntax): string[] {
  let inPlace = false;
  let scriptGiven = false;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      names.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const [option = ''] = arg.split('=', 1);
      if (option === syntax.longInPlace) {
        inPlace = true;
        if (syntax.inPlaceValued === true && !arg.includes('=')) i++;
      }
      if (syntax.longScript.includes(option)) {
        scriptGiven = true;
        if (!arg.includes('=')) i++;
      }
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      names.push(arg);
      continue;
    }
    for (let k = 1; k < arg.length; k++) {
      const letter = arg[k] as string;
      const last = k === arg.length - 1;
      if (letter === syntax.inPlace) {
        inPlace = true;
        if (syntax.inPlaceValued === true && last) i++;
        break;
      }
      if (syntax.script.includes(letter) || syntax.valued.includes(letter)) {
        if (syntax.script.includes(letter)) scriptGiven = true;
        if (last) i++;
        break;
      }
    }
  }
  if (!inPlace) return [];
  return scriptGiven ? names : names.slice(1);
}

// Non-option arguments; `valued` options consume the next word (`-s 0`), `--opt=value` does not.
function operands(args: string[], valued: string[]): string[] {
  const out: string[] = [];
  let options = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (options && arg === '--') options = false;
    else if (options && arg.startsWith('-') && arg !== '-') {
      if (valued.includes(arg)) i++;
    } else out.push(arg);
  }
  return out;
}

function expandHome(word: string, home: string): string {
  if (word === '~' || word.startsWith('~/')) return home + word.slice(1);
  const variable = /^(\$HOME|\$\{HOME\})(?=\/|$)/.exec(word);
  return variable === null ? word : home + word.slice(variable[0].length);
}
