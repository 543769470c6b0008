// Orchestrators with no scheduler to pause on disk (Task Master, TASKMASTER.md §7) are paused by
// the hook: while a mission is frozen its orchestrator's tools (MCP tools, its CLI in a shell
// tool) are denied with a message naming `guard status`; otherwise they are allowed. Which tools
// are whose is the adapter's (`pause.gate`); which mission a call touches is found from its
// project root upwards.
import { dirname } from 'node:path';
import { shellQuote } from '../core/freeze.js';
import { toolGates, type Orchestrator } from '../orchestrators/index.js';
import type { MissionLocator } from './guarded-missions.js';
import type { FrozenMission } from './messages.js';
import { splitCommands } from './shell-words.js';

// The orchestrators whose CLI a shell command runs.
export function gatedCommandOwners(command: string): Orchestrator[] {
  const gates = toolGates();
  if (gates.length === 0) return [];
  let commands;
  try {
    commands = splitCommands(command);
  } catch {
    return [];
  }
  const owners = new Set<Orchestrator>();
  for (const simple of commands) {
    const words = commandWords(simple.words);
    for (const { orchestrator, gate } of gates) if (gate.matchesCommand(words)) owners.add(orchestrator);
  }
  return [...owners];
}

/** Prefixes that run the next word as the command. */
const WRAPPERS = new Set(['env', 'command', 'exec', 'time', 'nohup', 'nice']);

// A simple command's words from the command word on: assignments and wrappers dropped.
function commandWords(words: readonly string[]): string[] {
  let i = 0;
  while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] as string) || WRAPPERS.has(words[i] as string) || (i > 0 && WRAPPERS.has(words[i - 1] as string) && (words[i] as string).startsWith('-')))) i++;
  return words.slice(i);
}

// The guarded mission dirs of `orchestrator` at `start` or above it (the nearest one).
export function missionsAbove(start: string, orchestrator: Orchestrator, locator: MissionLocator): string[] {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = orchestrator.missionDirOf(dir);
    if (candidate !== undefined && locator.isMission(candidate)) return [candidate];
    if (dirname(dir) === dir) return [];
  }
}

// The message for an orchestrator's tool while its mission is frozen.
export function toolDeniedMessage(tool: string, title: string, frozen: FrozenMission): string {
  const mission = shellQuote(frozen.missionDir);
  return [
    `mission guard denied ${tool}: the ${title} mission ${frozen.missionDir} is frozen since ${frozen.since} (incident ${frozen.incident}: ${frozen.reason}).`,
    `${title}'s tools and its CLI may not run until a human has inspected the incident and acknowledged it. Do not try to work around this; tell the user and wait.`,
    `A human runs: guard status --mission ${mission}`,
    `then, once repaired: guard ack --mission ${mission} --note "..."`,
  ].join('\n');
}
