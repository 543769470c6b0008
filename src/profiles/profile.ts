// Profiles as data: the built-in droid profile and guard.config.json share one format
// (schemas/guard-config.schema.json). Loading compiles schemas once per profile.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, type ArtifactSpec, type SchemaCheck } from '../core/judge.js';
import type { MissionPath } from '../core/types.js';
import { GuardError } from '../errors.js';
import { shellQuote } from '../core/freeze.js';
import { detectMission, ORCHESTRATOR_NAMES, orchestratorAt, orchestratorNamed, type Orchestrator, type OrchestratorName } from '../orchestrators/index.js';
import { TASKMASTER_DIR } from '../orchestrators/taskmaster/index.js';
import { CONFIG_FILE, configState } from './adoption.js';
import { MAX_CONFIG_BYTES, MAX_DEPTH_LIMIT, MAX_SCHEMA_BYTES, readBoundedFile, schemaSafetyProblems, unsafeGlobReason } from './config-safety.js';
import { compileSchema, createAjv } from './schema-check.js';

export { CONFIG_FILE } from './adoption.js';

/** The artifacts, schemas and rules for one orchestrator. */
export interface Profile {
  name: string;
  /** Whose adapter serves the mission (src/orchestrators/): only a built-in profile names droid or taskmaster. */
  orchestrator: OrchestratorName;
  /** Ordered: the first artifact whose glob matches a path decides its role. */
  artifacts: readonly ArtifactSpec[];
  /** Where the profile came from, for messages. */
  source: string;
  /** Warnings from compiling its schemas (ajv's), for the CLI to show. */
  warnings: readonly string[];
}

/** Files whose presence makes a directory a mission dir (droid's, Task Master's, or a generic profile's), for messages. */
export const MISSION_MARKERS = ['features.json', 'state.json', '.taskmaster/', 'tasks/tasks.json', CONFIG_FILE];

// Whether `dir` itself is a mission dir: a built-in orchestrator's, or one with a guard.config.json.
export function looksLikeMission(dir: string): boolean {
  return existsSync(join(dir, CONFIG_FILE)) || orchestratorAt(dir) !== undefined;
}

/**
 * The mission a missions root's child dir is or holds, as `guard watch --root` and `guard status
 * --root` find it: as `missionDirFor` reads a named dir, but never a legacy Task Master project
 * (PROJECT/tasks/tasks.json, the project itself as mission dir). Guarding one watches its whole
 * source tree, and any project with a tasks/tasks.json of its own would look like one: a human
 * names it instead.
 */
export function missionDirUnderRoot(child: string): string | undefined {
  if (existsSync(join(child, CONFIG_FILE))) return child;
  const found = detectMission(child);
  if (found === undefined) return undefined;
  if (found.orchestrator.name === 'taskmaster' && basename(found.missionDir) !== TASKMASTER_DIR) return undefined;
  return found.missionDir;
}

export const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

const builtIns = new Map<OrchestratorName, Profile>();

// A built-in orchestrator's profile (schemas/<name>/profile.json), compiled once per process.
export function loadBuiltInProfile(name: Exclude<OrchestratorName, 'generic'>): Profile {
  let profile = builtIns.get(name);
  if (profile === undefined) {
    const orchestrator = orchestratorNamed(name);
    const file = join(SCHEMAS_DIR, orchestrator.profileFile ?? `${name}/profile.json`);
    if (!existsSync(file)) throw new GuardError('CONFIG_INVALID', `the built-in ${orchestrator.title} profile is missing from this installation (${file}); reinstall mission guard`);
    profile = loadProfileFile(file, `built-in ${orchestrator.title} profile`, true, name);
    builtIns.set(name, profile);
  }
  return profile;
}

// The built-in droid profile, compiled once per process.
export function loadDroidProfile(): Profile {
  return loadBuiltInProfile('droid');
}

// The adapter that serves a profile's missions.
export function orchestratorOf(profile: Profile): Orchestrator {
  return orchestratorNamed(profile.orchestrator);
}

/** How the caller chose a profile: `--profile`, `--config`, or neither. */
export interface ProfileChoice {
  profile?: string;
  config?: string;
}

/** Where adoption records live, and what to do with a mission config that differs from its adoption. */
export interface ProfileContext {
  guardHome?: string;
  /**
   * 'refuse' (commands): throw CONFIG_NOT_ADOPTED. 'last-adopted' (the guardian and the hook): go
   * on with the adopted copy, which the agent cannot touch. Either way an unadopted config with
   * nothing adopted before is refused: the guard never runs on rules it was not given by a human.
   */
  changed?: 'refuse' | 'last-adopted';
}

/**
 * Whether a mission dir is a built-in orchestrator's (droid, Task Master): such a mission never
 * takes a profile from its own dir unless a human adopted one.
 */
export function isBuiltInMission(dir: string): boolean {
  return orchestratorAt(dir) !== undefined;
}

// The built-in profile of the orchestrator detected at `dir` (droid when none is).
function detectedProfile(dir: string): Profile {
  const found = orchestratorAt(dir);
  return loadBuiltInProfile(found === undefined || found.name === 'generic' ? 'droid' : found.name);
}

// The profile for a mission (the one choke point): --config (a human's command line), else the
// mission's adopted guard.config.json, else the built-in orchestrator detected from its files
// (Task Master, else droid). A config in the mission dir is never read as such: only the copy a
// human adopted with `guard config adopt`.
export function resolveProfile(missionDir: string, choice: ProfileChoice = {}, context: ProfileContext = {}): Profile {
  if (choice.config !== undefined) return loadProfileFile(resolve(choice.config), choice.config);
  if (choice.profile === 'droid' || choice.profile === 'taskmaster') return loadBuiltInProfile(choice.profile);
  if (choice.profile !== undefined && choice.profile !== 'generic') {
    throw new GuardError('USAGE', `unknown profile "${choice.profile}"; use --profile droid or --profile taskmaster, or describe your orchestrator in ${CONFIG_FILE} (see README "Generic profile")`);
  }
  const local = join(missionDir, CONFIG_FILE);
  const adopt = `guard config adopt --mission ${shellQuote(missionDir)}`;
  const state = configState(context.guardHome, missionDir);
  switch (state.kind) {
    case 'adopted':
      return loadProfileFile(state.config, `${local} (adopted ${state.adoption.at} by ${state.adoption.who})`);
    case 'changed':
      if (context.changed === 'last-adopted') return loadProfileFile(state.config, `${local} as adopted ${state.adoption.at} (the mission's copy changed since)`);
      throw new GuardError('CONFIG_NOT_ADOPTED', `${state.changed.join(', ')} in ${missionDir} changed since a human adopted the profile (${state.adoption.at}, by ${state.adoption.who}); the guard keeps using the adopted one and refuses this command. If the change is yours, adopt it: ${adopt}; otherwise put the adopted bytes back (they are in ${dirname(state.config)})`);
    case 'unadopted':
      if (isBuiltInMission(missionDir) && choice.profile === undefined) return detectedProfile(missionDir);
      throw new GuardError('CONFIG_NOT_ADOPTED', `${local} has not been adopted: a mission's own config is trusted only after a human reviews and adopts it (agents inside the mission could have written it). A human runs: ${adopt}`);
    case 'none':
      if (choice.profile === 'generic') throw new GuardError('CONFIG_INVALID', `--profile generic needs an adopted ${local} or --config FILE; see README "Generic profile"`);
      return detectedProfile(missionDir);
  }
}

/**
 * The mission dir a named dir stands for: itself, or the mission dir a built-in orchestrator keeps
 * in it (`guard watch PROJECT` and `writeArtifact(PROJECT, ...)` mean PROJECT/.taskmaster). A dir
 * with its own guard.config.json is always itself.
 */
export function missionDirFor(dir: string): string {
  if (existsSync(join(dir, CONFIG_FILE))) return dir;
  return detectMission(dir)?.missionDir ?? dir;
}

// The artifact a mission path belongs to, if any. The orchestrator's temp and lock files never are.
export function matchArtifact(profile: Profile, path: MissionPath): ArtifactSpec | undefined {
  if (orchestratorOf(profile).isTransient(path)) return undefined;
  return profile.artifacts.find((artifact) => matcherOf(artifact)(path));
}

const matchers = new WeakMap<ArtifactSpec, (path: string) => boolean>();
function matcherOf(artifact: ArtifactSpec): (path: string) => boolean {
  let matcher = matchers.get(artifact);
  if (matcher === undefined) {
    matcher = picomatch(artifact.glob, { dot: true });
    matchers.set(artifact, matcher);
  }
  return matcher;
}

let configCheck: ((doc: unknown) => { message: string; pointer: string }[]) | undefined;

// A user's profile is checked and compiled whole, so a mistake is reported at once. The built-in
// one ships with the guard (and the test suite runs on it): it is not re-checked, and its schemas
// compile on first use, so `guard status` (judges nothing) and `guard hook` (one artifact) do not
// pay ~150 ms for ajv and every schema.
export function loadProfileFile(file: string, label: string, builtIn = false, orchestrator: OrchestratorName = 'generic'): Profile {
  const raw = readJson(file, label, builtIn ? undefined : MAX_CONFIG_BYTES);
  if (!builtIn) {
    refuseBuiltInClaim(raw, label);
    configCheck ??= compileSchema(createAjv(), readJson(join(SCHEMAS_DIR, 'guard-config.schema.json'), 'config schema') as object);
    const problems = configCheck(raw);
    if (problems.length > 0) {
      throw new GuardError('CONFIG_INVALID', `${label} is not a valid profile:\n${problems.map((problem) => `  ${problem.pointer || '(top level)'}: ${problem.message}`).join('\n')}`);
    }
    checkLimits(raw as ProfileFile, label);
  }
  const config = raw as ProfileFile;
  const warnings: string[] = [];
  let ajv: ReturnType<typeof createAjv> | undefined;
  const ajvOnce = () => (ajv ??= createAjv(warnings));
  const base = dirname(file);
  const evidenceRules = builtIn ? orchestratorNamed(orchestrator).evidenceRules : undefined;
  const artifacts = config.artifacts.map((entry): ArtifactSpec => ({
    glob: entry.glob,
    role: entry.role,
    format: entry.format ?? 'json',
    maxBytes: entry.maxBytes ?? DEFAULT_MAX_BYTES,
    maxDepth: entry.maxDepth ?? DEFAULT_MAX_DEPTH,
    rules: entry.rules ?? [],
    ...(entry.schema === undefined ? {} : { schema: schemaCheckOf(ajvOnce, resolve(base, entry.schema), entry.glob, builtIn, base) }),
    ...(entry.expectedSchema === undefined ? {} : { expected: schemaCheckOf(ajvOnce, resolve(base, entry.expectedSchema), entry.glob, builtIn, base) }),
    ...(entry.allowBom === undefined ? {} : { allowBom: entry.allowBom }),
    ...(entry.statusItems === undefined ? {} : { statusItems: entry.statusItems }),
    ...(entry.evidence === undefined ? {} : { evidence: entry.evidence }),
    ...(entry.evidence === true && evidenceRules !== undefined ? { evidenceRules } : {}),
  }));
  return Object.freeze({ name: config.name ?? orchestrator, orchestrator: builtIn ? orchestrator : 'generic', artifacts, source: label, warnings });
}

/**
 * A user's config describes a generic orchestrator: `"orchestrator": "generic"` (or the older
 * `"freeze": "sentinel"`). droid and Task Master are built in and detected from their files (or
 * chosen with --profile); a config that could claim one would get that orchestrator's pause
 * writes into a mission that is not its own.
 */
function refuseBuiltInClaim(raw: unknown, label: string): void {
  if (typeof raw !== 'object' || raw === null) return;
  const claimed = (raw as { orchestrator?: unknown; freeze?: unknown }).orchestrator ?? (raw as { freeze?: unknown }).freeze;
  if (typeof claimed !== 'string' || claimed === 'generic' || claimed === 'sentinel' || !(ORCHESTRATOR_NAMES as readonly string[]).includes(claimed)) return;
  throw new GuardError('CONFIG_INVALID', `${label} names the built-in orchestrator "${claimed}": a guard.config.json describes a generic orchestrator only ("orchestrator": "generic", the default). ${orchestratorNamed(claimed as OrchestratorName).title} missions are detected from their files and use the built-in profile (or pass --profile ${claimed}); remove the key.`);
}

type ProfileFile = {
  name?: string;
  orchestrator?: 'generic';
  /** The older name of `orchestrator`: `"sentinel"` means generic. */
  freeze?: 'sentinel';
  artifacts: Array<Omit<ArtifactSpec, 'schema' | 'expected' | 'format' | 'maxBytes' | 'maxDepth' | 'rules'> & Partial<Pick<ArtifactSpec, 'format' | 'maxBytes' | 'maxDepth' | 'rules'>> & { schema?: string; expectedSchema?: string }>;
};

// Limits a user's config may not raise past: globs inside the mission, sane depth limits.
function checkLimits(config: ProfileFile, label: string): void {
  config.artifacts.forEach((entry, index) => {
    const globProblem = unsafeGlobReason(entry.glob);
    if (globProblem !== undefined) throw new GuardError('CONFIG_INVALID', `${label}: /artifacts/${index}/glob "${entry.glob}" is refused: ${globProblem}`);
    if (entry.maxDepth !== undefined && entry.maxDepth > MAX_DEPTH_LIMIT) throw new GuardError('CONFIG_INVALID', `${label}: /artifacts/${index}/maxDepth ${entry.maxDepth} is over the limit of ${MAX_DEPTH_LIMIT} (deeper data would overflow the stack)`);
  });
}

function schemaCheckOf(ajv: () => ReturnType<typeof createAjv>, file: string, glob: string, builtIn: boolean, base: string): SchemaCheck {
  if (!builtIn) return compileArtifactSchema(ajv(), file, glob, base);
  let check: SchemaCheck | undefined;
  return (doc) => {
    check ??= compileArtifactSchema(ajv(), file, glob);
    return check(doc);
  };
}

// ajv throws on a schema that is not a valid JSON Schema (bad keyword value, unresolvable $ref):
// that is the user's config to fix, not a bug in the guard.
// A user's schema is read bounded from inside the config's dir and checked for what ajv would
// accept and then hang or crash on, before ajv sees it.
function compileArtifactSchema(ajv: ReturnType<typeof createAjv>, file: string, glob: string, insideDir?: string): SchemaCheck {
  const schema = readJson(file, `schema of ${glob}`, insideDir === undefined ? undefined : MAX_SCHEMA_BYTES, insideDir) as object;
  if (insideDir !== undefined) {
    const problems = schemaSafetyProblems(schema);
    if (problems.length > 0) throw new GuardError('CONFIG_INVALID', `the schema of ${glob} at ${file} is refused:\n${problems.map((problem) => `  ${problem.pointer || '(top level)'}: ${problem.reason}`).join('\n')}`);
  }
  try {
    return compileSchema(ajv, schema);
  } catch (error) {
    throw new GuardError('CONFIG_INVALID', `the schema of ${glob} at ${file} is not a valid JSON Schema: ${(error as Error).message}`);
  }
}

function readJson(file: string, label: string, maxBytes = 16 * 1024 * 1024, insideDir?: string): unknown {
  const text = readBoundedFile(file, maxBytes, label, insideDir).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GuardError('CONFIG_INVALID', `${label} at ${file} is not valid JSON: ${(error as Error).message}`);
  }
}
