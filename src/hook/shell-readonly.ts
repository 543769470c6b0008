// Which simple shell commands are recognisably read-only with respect to guarded state: the short
// allowlist the hook applies to any command line that names a guarded mission, the missions root
// or the guard home (issue 14, item 9). Anything not recognised here is treated as a writer.
// `isTarget` says whether a (resolved) word names guarded state, for commands that read guarded
// files but write elsewhere (`cp features.json /tmp/f.json`, `sort -o /tmp/x`). Pure.
import { basename } from 'node:path';

/** Reads files, prints to stdout, nothing else; option checks are in `readOnlyWith`. */
const PLAIN_READERS = new Set([
  'cat', 'head', 'tail', 'wc', 'ls', 'stat', 'file', 'du', 'df', 'diff', 'cmp', 'comm', 'md5sum', 'sha1sum', 'sha256sum', 'sha512sum',
  'b2sum', 'cksum', 'grep', 'egrep', 'fgrep', 'ag', 'jq', 'echo', 'printf', 'true', 'false', 'test', '[', '[[', ']]', 'pwd', 'basename',
  'dirname', 'realpath', 'readlink', 'tree', 'cut', 'tr', 'column', 'nl', 'od', 'hexdump', 'strings', 'less', 'more', 'bat', 'fold',
  'paste', 'join', 'expand', 'unexpand', 'base64', 'cd', 'pushd', 'popd', 'export', 'read', 'sleep', 'date', 'whoami', 'id', 'uname',
  'which', 'type', 'printenv', 'exit', 'return', 'wait', 'done', 'fi', 'esac', '}', 'for', 'in', 'set', 'shopt', ':', 'hostname', 'nproc',
  'tac', 'rev', 'look', 'zcat', 'lsof', 'ps', 'pgrep', 'env', 'local', 'declare', 'unset', 'alias',
]);

/** git subcommands that only look. */
const GIT_READERS = new Set(['status', 'diff', 'log', 'show', 'blame', 'ls-files', 'rev-parse', 'grep', 'describe', 'shortlog', 'ls-tree', 'cat-file', 'rev-list', 'whatchanged', 'reflog']);

/** guard subcommands an agent may run: the ones that only look, and `guard write` (judged). */
export const GUARD_AGENT_COMMANDS = new Set(['status', 'log', 'plan', 'verify', 'snapshots', 'show', 'diff', 'write', 'hook', 'help', '--help', '-h', '--version', '-V']);

const FIND_WRITERS = new Set(['-exec', '-execdir', '-ok', '-okdir', '-delete', '-fprint', '-fprint0', '-fprintf', '-fls']);

// Is `words` (command name first, wrappers removed) read-only towards guarded state?
export function isReadOnlyCommand(words: readonly string[], isTarget: (word: string) => boolean): boolean {
  const name = basename(words[0] ?? '');
  const args = words.slice(1);
  if (name === '') return true;
  if (PLAIN_READERS.has(name)) return readOnlyWith(name, args);
  switch (name) {
    case 'rg':
      return !args.some((arg) => arg === '--pre' || arg.startsWith('--pre=') || arg === '--pre-glob' || arg.startsWith('--pre-glob='));
    case 'yq':
      return !args.some((arg) => arg === '-i' || arg === '--inplace' || /^-[a-zA-Z]*i/.test(arg));
    case 'find':
      return !args.some((arg) => FIND_WRITERS.has(arg));
    case 'sort':
      return !args.some((arg, index) => ((arg === '-o' || arg === '--output') && isTarget(args[index + 1] ?? '')) || (arg.startsWith('--output=') && isTarget(arg.slice(9))) || (/^-o./.test(arg) && isTarget(arg.slice(2))));
    case 'uniq':
    case 'xxd':
      return args.filter((arg) => !arg.startsWith('-')).length <= 1;
    case 'sed':
    case 'gsed':
      return sedReadOnly(args);
    case 'git':
      return gitReadOnly(args);
    case 'guard':
    case 'mission-guard':
      return GUARD_AGENT_COMMANDS.has(args.find((arg) => !arg.startsWith('-') || arg === '--help' || arg === '--version') ?? '--help');
    case 'cp':
      // Copying a guarded file out is reading it; a link (-l, -s) would let a later write reach it.
      return !args.some((arg) => /^-[a-zA-Z]*[ls]/.test(arg) || arg === '--link' || arg === '--symbolic-link' || arg.startsWith('--target-directory') || arg === '-t' || arg.startsWith('--remove-destination')) && copyDestinationSafe(args, isTarget);
    case 'tee':
      return args.filter((arg) => !arg.startsWith('-')).every((arg) => !isTarget(arg));
    case 'xargs':
      return isReadOnlyCommand(xargsCommand(args), isTarget);
    case 'command':
      return args[0] === '-v' || args[0] === '-V';
    default:
      return false;
  }
}

function readOnlyWith(name: string, args: readonly string[]): boolean {
  // `env CMD` runs CMD (wrappers are removed before this, so a bare env only prints).
  if (name === 'env') return args.every((arg) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg) || arg.startsWith('-'));
  return true;
}

function copyDestinationSafe(args: readonly string[], isTarget: (word: string) => boolean): boolean {
  const operands = args.filter((arg) => !arg.startsWith('-'));
  const destination = operands.at(-1);
  return operands.length >= 2 && destination !== undefined && !isTarget(destination);
}

// sed prints only: no in-place edit, no script file, and scripts made of addresses with p, =, q, d.
function sedReadOnly(args: readonly string[]): boolean {
  const scripts: string[] = [];
  let scriptOption = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-i' || arg.startsWith('--in-place') || /^-[a-zA-Z]*i/.test(arg) || arg === '-f' || arg.startsWith('--file') || /^-[a-zA-Z]*f/.test(arg)) return false;
    if (arg === '-e' || arg === '--expression') {
      scriptOption = true;
      scripts.push(args[++i] ?? '');
    } else if (arg.startsWith('--expression=')) {
      scriptOption = true;
      scripts.push(arg.slice(13));
    }
  }
  if (!scriptOption) {
    const first = args.find((arg) => !arg.startsWith('-'));
    if (first !== undefined) scripts.push(first);
  }
  const address = String.raw`(?:\d+|\$|/(?:[^/\\]|\\.)*/)`;
  const command = new RegExp(String.raw`^\s*(?:${address}(?:\s*,\s*${address})?)?\s*!?\s*[pdq=lnN]?\s*$`);
  return scripts.every((script) => script.split(/[;\n]/).every((part) => command.test(part)));
}

function gitReadOnly(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-C' || arg === '--git-dir' || arg === '--work-tree') {
      i++;
      continue;
    }
    if (arg === '--no-pager' || arg === '-P' || arg.startsWith('--git-dir=') || arg.startsWith('--work-tree=')) continue;
    // `-c core.pager=...` and friends run commands.
    if (arg.startsWith('-')) return false;
    return GIT_READERS.has(arg) && !args.slice(i + 1).some((rest) => rest === '--output' || rest.startsWith('--output=') || rest === '--ext-diff' || rest.startsWith('--textconv'));
  }
  return true;
}

// The command xargs runs: its words after xargs's own options.
function xargsCommand(args: readonly string[]): string[] {
  const valued = new Set(['-I', '-n', '-P', '-L', '-d', '-s', '-E', '-a', '--max-args', '--max-procs', '--delimiter', '--arg-file']);
  let i = 0;
  while (i < args.length && (args[i] as string).startsWith('-')) i += valued.has(args[i] as string) ? 2 : 1;
  const rest = args.slice(i);
  return rest.length === 0 ? ['echo'] : rest;
}
