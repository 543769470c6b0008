// Which agent tool calls are Task Master's (TASKMASTER.md §7): its MCP tools, named
// `mcp__<server>__<tool>` by Claude Code with a server name such as `task-master-ai`, and its
// CLI run from a shell tool. Pure and cheap: the hook asks on every tool call.
import type { FrozenToolGate } from '../adapter.js';

/** `mcp__*task*master*__*`, any case: the server part names Task Master. */
const MCP_TOOL = /^mcp__.*task.*master.*__./i;

// Whether an MCP tool name is one of Task Master's.
export function isTaskMasterTool(tool: string): boolean {
  return MCP_TOOL.test(tool);
}

/** The binaries task-master-ai installs. */
const BINARIES = new Set(['task-master', 'task-master-ai', 'task-master-mcp']);
/** Package runners that run a binary named by their first non-option word. */
const RUNNERS = new Set(['npx', 'pnpx', 'bunx']);
const SUB_RUNNERS: Record<string, ReadonlySet<string>> = { npm: new Set(['exec', 'x']), pnpm: new Set(['dlx', 'exec']), yarn: new Set(['dlx', 'exec']), bun: new Set(['x']) };

// Whether a simple command (its words, environment assignments already removed) runs Task Master's CLI.
export function isTaskMasterCommand(words: readonly string[]): boolean {
  const [first, second] = words;
  if (first === undefined) return false;
  const name = baseName(first);
  if (BINARIES.has(name)) return true;
  let rest: readonly string[] | undefined;
  if (RUNNERS.has(name)) rest = words.slice(1);
  else if (second !== undefined && SUB_RUNNERS[name]?.has(second) === true) rest = words.slice(2);
  if (rest === undefined) return false;
  const target = rest.find((word) => !word.startsWith('-'));
  return target !== undefined && BINARIES.has(packageName(target));
}

/** The matcher `guard init --claude` installs: Claude Code reads matchers as regexes. */
export const TASKMASTER_CLAUDE_MATCHER = '^mcp__.*[Tt][Aa][Ss][Kk].*[Mm][Aa][Ss][Tt][Ee][Rr].*__';

/** What `guard hook` denies while a Task Master mission is frozen. */
export const TASKMASTER_GATE: FrozenToolGate = { matchesTool: isTaskMasterTool, matchesCommand: isTaskMasterCommand, claudeMatcher: TASKMASTER_CLAUDE_MATCHER };

function baseName(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

// `task-master-ai@0.43.1` -> `task-master-ai`.
function packageName(word: string): string {
  const at = word.lastIndexOf('@');
  return at > 0 ? word.slice(0, at) : word;
}
