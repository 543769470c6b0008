/**
 * What an orchestrator contributes to the guard beyond its profile (artifact specs, schemas and
 * rules, which are data in `schemas/<name>/profile.json` or a user's guard.config.json): how its
 * mission dirs look and are found, which of its files are transient (temp and lock files: never
 * judged, quarantined or cleaned), the evidence facts its files yield, the words its users know,
 * and how its scheduler is paused while a mission is frozen. The guardian, the hook and the CLI ask
 * the mission's adapter; none of them branches on an orchestrator's name. docs/adapters.md lists
 * the steps to add one.
 */
import type { EvidenceFact } from '../core/entries.js';
import type { EvidenceRules } from '../core/evidence-rules.js';

/** The built-in orchestrators. A user's guard.config.json may name only `generic`. */
export type OrchestratorName = 'droid' | 'taskmaster' | 'generic';
export const ORCHESTRATOR_NAMES: readonly OrchestratorName[] = ['droid', 'taskmaster', 'generic'];

/** The words an orchestrator's users know, for `guard plan` / `guard status`. */
export interface Vocabulary {
  /** What one scheduled item is called: droid "feature", Task Master "task". */
  item: string;
  items: string;
  /** Groups of items in the summary, when it has them (Task Master: tags). */
  group?: { one: string; many: string };
}

/** A group of scheduled items in the summary file (Task Master: a tag and its tasks). */
export interface ItemGroup {
  name: string;
  items: Array<{ id: string; status: string; title?: string }>;
}

/**
 * How `guard plan` and `guard status` read the summary file in the orchestrator's own words, for
 * an orchestrator whose summary the core's feature plan cannot read (Task Master's tagged tasks.json).
 */
export interface SummaryReader {
  /** The mission path of the summary file. */
  path: string;
  /** Its groups and items, or undefined when the document is not shaped like one. */
  read(doc: unknown): ItemGroup[] | undefined;
  /** Statuses with no work left (done or given up): every other status is still to do. */
  finished: readonly string[];
}

/**
 * One of the guard's own writes that pauses the scheduler (droid: state.json -> paused, then a
 * mission_paused log line). Judged and journaled before it lands, always over exactly last good.
 */
export interface PauseWrite {
  path: string;
  /** `replace`: compare-and-swap the whole file; `append`: add bytes after last good's. */
  land: 'replace' | 'append';
  /** The new whole file over last good, or undefined when it already says paused. */
  make(doc: unknown, good: Buffer, reason: string, now: Date): string | undefined;
  /** What it did, for the `scheduler-paused` entry. */
  done: string;
}

/** Agent tool calls the hook refuses while the mission is frozen (beyond writes to its artifacts). */
export interface FrozenToolGate {
  /** Whether a tool call (MCP tool name, or a shell command's words) belongs to this orchestrator. */
  matchesTool(tool: string): boolean;
  matchesCommand(words: readonly string[]): boolean;
  /** The Claude Code PreToolUse matcher `guard init --claude` installs for its tools. */
  claudeMatcher: string;
}

/** How the scheduler stops while frozen, beyond the sentinel every orchestrator gets. */
export interface PausePlan {
  writes: readonly PauseWrite[];
  /** Task Master: no loop to pause on disk; the hook denies its tools and CLI instead. */
  gate?: FrozenToolGate;
  /** One line for docs and `guard status`: what pausing this orchestrator means. */
  summary: string;
}

export interface Orchestrator {
  readonly name: OrchestratorName;
  /** For messages: "droid", "Task Master". */
  readonly title: string;
  /** The built-in profile, relative to `schemas/`; undefined for generic (a guard.config.json). */
  readonly profileFile: string | undefined;
  /** Mission-relative paths whose presence marks a mission dir of this orchestrator. */
  readonly markers: readonly string[];
  /**
   * The mission dir a user-named dir stands for, if it is (or holds) one of this orchestrator's:
   * Task Master maps a project to its `.taskmaster/`. Reads the file system.
   */
  missionDirOf(dir: string): string | undefined;
  /**
   * Where it keeps all its mission dirs, when it has such a root (droid: ~/.factory/missions;
   * `guard watch` with no dir and `guard run -- droid` watch it and adopt missions as they appear).
   */
  missionsRoot?(where: { home: string; env: Readonly<Record<string, string | undefined>> }): string;
  /** Temp and lock files of its writers (mission-relative POSIX paths): never artifacts. */
  isTransient(path: string): boolean;
  /** Facts new in `doc` compared with `previous`, journaled so they outlive the files. */
  evidenceFacts(path: string, previous: unknown, doc: unknown): EvidenceFact[];
  /** Its cross-checks of a summary against those facts, for artifacts with `"evidence": true`. */
  readonly evidenceRules?: EvidenceRules;
  readonly vocabulary: Vocabulary;
  readonly summary?: SummaryReader;
  readonly pause: PausePlan;
  /** Whether an accepted version of `path` un-pauses the scheduler (the guard then pauses it again). */
  isUnpaused(path: string, doc: unknown): boolean;
  /**
   * `guard repair --rebuild`: the fields, beyond id, status and description, of a done item the
   * summary lost and no stored version holds, written from the worker session whose success
   * report shows it done (droid: its worker session fields). Without it, none.
   */
  rebuiltItemFields?(workerSession: string): Record<string, unknown>;
}

// The guard's own and every writer's `.<name>.<12 hex>.tmp` temp siblings are store-level
// (store/atomic-write.ts isTempSibling) and transient for every orchestrator.
