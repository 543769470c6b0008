// Profiles as data: the built-in droid profile and guard.config.json share one format
// (schemas/guard-config.schema.json). Loading compiles schemas once per profile.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, type ArtifactSpec, type SchemaCheck } from '../core/judge.js';
import type { MissionPath } from '../core/types.js';
import { GuardError } from '../errors.js';
import { compileSchema, createAjv } from './schema-check.js';

/** What the guard does to stop a scheduler, beyond the sentinel (DESIGN.md §8). */
export type FreezeAction = 'sentinel' | 'droid';

/** The artifacts, schemas and rules for one orchestrator. */
export interface Profile {
  name: string;
  freeze: FreezeAction;
  /** Ordered: the first artifact whose glob matches a path decides its role. */
  artifacts: readonly ArtifactSpec[];
  /** Where the profile came from, for messages. */
  source: string;
}

export const CONFIG_FILE = 'guard.config.json';

/** Files whose presence makes a directory a mission dir (droid's, or a generic profile's). */
export const MISSION_MARKERS = ['features.json', 'state.json', CONFIG_FILE];

export function looksLikeMission(dir: string): boolean {
  return MISSION_MARKERS.some((marker) => existsSync(join(dir, marker)));
}
export const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

let droidProfile: Profile | undefined;

// The built-in droid profile, compiled once per process.
export function loadDroidProfile(): Profile {
  droidProfile ??= loadProfileFile(join(SCHEMAS_DIR, 'droid', 'profile.json'), 'built-in droid profile', true);
  return droidProfile;
}

/** How the caller chose a profile: `--profile`, `--config`, or neither. */
export interface ProfileChoice {
  profile?: string;
  config?: string;
}

// The profile for a mission: --config, else guard.config.json in the mission dir, else droid.
export function resolveProfile(missionDir: string, choice: ProfileChoice = {}): Profile {
  if (choice.config !== undefined) return loadProfileFile(resolve(choice.config), choice.config);
  if (choice.profile === 'droid') return loadDroidProfile();
  const local = join(missionDir, CONFIG_FILE);
  if (existsSync(local)) return loadProfileFile(local, local);
  if (choice.profile !== undefined && choice.profile !== 'generic') {
    throw new GuardError('USAGE', `unknown profile "${choice.profile}"; use --profile droid, or describe your orchestrator in ${CONFIG_FILE} (see README "Generic profile")`);
  }
  if (choice.profile === 'generic') {
    throw new GuardError('CONFIG_INVALID', `--profile generic needs ${local} or --config FILE; see README "Generic profile"`);
  }
  return loadDroidProfile();
}

// The artifact a mission path belongs to, if any.
export function matchArtifact(profile: Profile, path: MissionPath): ArtifactSpec | undefined {
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
function loadProfileFile(file: string, label: string, builtIn = false): Profile {
  const raw = readJson(file, label);
  if (!builtIn) {
    configCheck ??= compileSchema(createAjv(), readJson(join(SCHEMAS_DIR, 'guard-config.schema.json'), 'config schema') as object);
    const problems = configCheck(raw);
    if (problems.length > 0) {
      throw new GuardError('CONFIG_INVALID', `${label} is not a valid profile:\n${problems.map((problem) => `  ${problem.pointer || '(top level)'}: ${problem.message}`).join('\n')}`);
    }
  }
  const config = raw as ProfileFile;
  let ajv: ReturnType<typeof createAjv> | undefined;
  const ajvOnce = () => (ajv ??= createAjv());
  const base = dirname(file);
  const artifacts = config.artifacts.map((entry): ArtifactSpec => ({
    glob: entry.glob,
    role: entry.role,
    format: entry.format ?? 'json',
    maxBytes: entry.maxBytes ?? DEFAULT_MAX_BYTES,
    maxDepth: entry.maxDepth ?? DEFAULT_MAX_DEPTH,
    rules: entry.rules ?? [],
    ...(entry.schema === undefined ? {} : { schema: schemaCheckOf(ajvOnce, resolve(base, entry.schema), entry.glob, builtIn) }),
    ...(entry.expectedSchema === undefined ? {} : { expected: schemaCheckOf(ajvOnce, resolve(base, entry.expectedSchema), entry.glob, builtIn) }),
    ...(entry.allowBom === undefined ? {} : { allowBom: entry.allowBom }),
    ...(entry.statusItems === undefined ? {} : { statusItems: entry.statusItems }),
    ...(entry.evidence === undefined ? {} : { evidence: entry.evidence }),
  }));
  return Object.freeze({ name: config.name ?? 'generic', freeze: config.freeze ?? 'sentinel', artifacts, source: label });
}

type ProfileFile = {
  name?: string;
  freeze?: FreezeAction;
  artifacts: Array<Omit<ArtifactSpec, 'schema' | 'expected' | 'format' | 'maxBytes' | 'maxDepth' | 'rules'> & Partial<Pick<ArtifactSpec, 'format' | 'maxBytes' | 'maxDepth' | 'rules'>> & { schema?: string; expectedSchema?: string }>;
};

function schemaCheckOf(ajv: () => ReturnType<typeof createAjv>, file: string, glob: string, lazy: boolean): SchemaCheck {
  if (!lazy) return compileArtifactSchema(ajv(), file, glob);
  let check: SchemaCheck | undefined;
  return (doc) => {
    check ??= compileArtifactSchema(ajv(), file, glob);
    return check(doc);
  };
}

// ajv throws on a schema that is not a valid JSON Schema (bad keyword value, unresolvable $ref):
// that is the user's config to fix, not a bug in the guard.
function compileArtifactSchema(ajv: ReturnType<typeof createAjv>, file: string, glob: string): SchemaCheck {
  const schema = readJson(file, `schema of ${glob}`) as object;
  try {
    return compileSchema(ajv, schema);
  } catch (error) {
    throw new GuardError('CONFIG_INVALID', `the schema of ${glob} at ${file} is not a valid JSON Schema: ${(error as Error).message}`);
  }
}

function readJson(file: string, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GuardError('CONFIG_INVALID', `cannot read ${label} at ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GuardError('CONFIG_INVALID', `${label} at ${file} is not valid JSON: ${(error as Error).message}`);
  }
}
