// What no agent tool call may change, whatever the judge would say: the guard home (journals,
// snapshots, adopted profiles), a guarded mission's guard.config.json and the schemas it names,
// and, for shell commands, anything near guarded state that is not recognisably read-only
// (shell-guarded.ts). The hook calls these before judging artifacts (issue 14, items 1, 2, 9).
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { shellQuote } from '../core/freeze.js';
import { CONFIG_FILE, readAdoption, schemaFilesOf } from '../profiles/adoption.js';
import type { MissionLocator } from './guarded-missions.js';
import type { DeniedArtifact } from './messages.js';
import { analyseShell, isDenied, type GuardedWorld, type ShellAnalysis } from './shell-guarded.js';

/** Where the guarded state is, for one call. */
export interface ProtectedScope {
  guardHome: string;
  home: string;
  missionsRoot: string;
}

/** A denial the caller journals on each named mission, then returns. */
export interface Protection {
  artifacts: DeniedArtifact[];
  message: string;
}

// File tools (Create, Edit, ApplyPatch...) aimed at the guard home or a mission's profile files.
export function protectedFiles(tool: string, paths: readonly string[], scope: ProtectedScope, locator: MissionLocator): Protection | undefined {
  const lines: string[] = [];
  const artifacts: DeniedArtifact[] = [];
  for (const path of paths) {
    if (isWithin(path, scope.guardHome)) {
      lines.push(`  - ${path}: inside the guard home ${scope.guardHome} (journals, snapshots and adopted profiles)`);
      continue;
    }
    const at = locator.locate(path);
    if (at === undefined || at.rel === '') continue;
    if (profileFilesOf(scope.guardHome, at.missionDir).has(at.rel)) {
      lines.push(`  - ${path}: the mission's profile (${at.rel === CONFIG_FILE ? CONFIG_FILE : `a schema named by ${CONFIG_FILE}`}); only a human changes it, then adopts it with guard config adopt`);
      artifacts.push({ missionDir: at.missionDir, path: at.rel, role: 'mission', issues: [], how: tool, reason: `${tool} of the mission's profile (${at.rel}); only a human changes and adopts it` });
    }
  }
  if (lines.length === 0) return undefined;
  const message = [`mission guard denied this ${tool}: it would change the guard's own rules or records. Nothing was written.`, ...lines, 'The rules the guard enforces are not the agent\'s to change. Tell the user what you need and wait.'].join('\n');
  return { artifacts, message };
}

// A shell command line near guarded state that is not read-only, or a guard call only a human may make.
export function protectedShell(tool: string, command: string, cwd: string, scope: ProtectedScope, locator: MissionLocator): Protection | undefined {
  const world: GuardedWorld = {
    home: scope.home,
    roots: [scope.guardHome, scope.missionsRoot],
    missionOf: (path) => locator.locate(path)?.missionDir,
    missionsUnder: (dir) => locator.expand({ path: dir, how: '', removes: true }).filter((path) => path !== dir && locator.isMission(path)),
  };
  const analysis = analyseShell(command, cwd, world);
  if (!isDenied(analysis)) return undefined;
  const missions = [...new Set(analysis.named.flatMap((item) => (item.mission === undefined ? [] : [item.mission])))];
  const reason = reasonOf(analysis);
  const artifacts = missions.map((missionDir): DeniedArtifact => ({ missionDir, path: '.', role: 'mission', issues: [], how: tool, reason }));
  return { artifacts, message: shellMessage(tool, analysis, missions) };
}

function reasonOf(analysis: ShellAnalysis): string {
  if (analysis.guardCalls.length > 0) return `shell runs a guard command only a human may run: ${analysis.guardCalls[0]}`;
  if (analysis.humanFlag) return 'shell command carries the human-only flag';
  if (analysis.unknown.length > 0) return `shell command writes to a target the hook cannot know: ${analysis.unknown[0]}`;
  return `shell command near guarded state is not read-only: ${analysis.writers[0]}`;
}

function shellMessage(tool: string, analysis: ShellAnalysis, missions: readonly string[]): string {
  const lines = [`mission guard denied this ${tool} command. Nothing was run.`];
  if (analysis.guardCalls.length > 0 || analysis.humanFlag) {
    lines.push(`It runs a guard command that only a human may run (${analysis.guardCalls[0] ?? `--${'yes-i-am-human'}`}): acknowledging incidents, repairs, restores, adopting a profile and removing the hooks are a human's decisions.`, 'Tell the user what happened and what you need, and wait.');
    return lines.join('\n');
  }
  if (analysis.unknown.length > 0) lines.push(`It writes to a target the guard cannot know before it runs (a variable or an unknown directory): ${analysis.unknown[0]}. Spell the paths out, or write mission artifacts with guard write.`);
  else {
    const named = [...new Set(analysis.named.map((item) => item.path))].slice(0, 4);
    lines.push(`It names guarded mission state (${named.join(', ')}) and runs a command that is not recognisably read-only: ${analysis.writers[0]}.`);
  }
  lines.push('Near guarded state only reading commands are allowed (cat, jq, ls, rg, grep, head, tail, wc, stat, diff, git status/diff/log, cp of a file out to elsewhere).');
  const mission = missions[0];
  lines.push('To change a mission artifact, write the complete new content to a file outside the mission dir, then run:', `  guard write --mission ${mission === undefined ? 'DIR' : shellQuote(mission)} ARTIFACT --from FILE`, `or use the ${tool === 'Bash' ? 'Write / Edit' : 'Create / Edit / ApplyPatch'} tools, which the guard checks.`);
  return lines.join('\n');
}

// guard.config.json and every schema it names or the adopted profile names.
function profileFilesOf(guardHome: string, missionDir: string): Set<string> {
  const files = new Set([CONFIG_FILE]);
  try {
    for (const file of Object.keys(readAdoption(guardHome, missionDir)?.adoption.files ?? {})) files.add(file);
  } catch {
    // A damaged record: the config itself stays protected.
  }
  try {
    for (const { file } of schemaFilesOf(readFileSync(join(missionDir, CONFIG_FILE)), CONFIG_FILE)) files.add(file);
  } catch {
    // No config, or one that is not JSON: nothing more to protect.
  }
  return files;
}

function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
