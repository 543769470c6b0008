// A mission's guard.config.json is trusted only once a human adopted it (`guard config adopt`):
// the exact bytes of the config and of every schema it names are copied into the mission's
// guard-home folder with their digests. From then on the guard loads the adopted copy, and a
// config or schema in the mission dir that differs from it (edited, replaced, deleted, or a new
// one where none was adopted) is refused: an agent inside the mission cannot change the rules.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { missionStatePaths } from '../store/paths.js';
import { GuardError, errnoOf } from '../errors.js';
import { MAX_CONFIG_BYTES, MAX_SCHEMA_BYTES, readBoundedFile, unsafeGlobReason } from './config-safety.js';

export const CONFIG_FILE = 'guard.config.json';

/** What `guard config adopt` recorded. */
export interface Adoption {
  v: 1;
  at: string;
  who: string;
  /** Mission-relative file -> sha256 hex of its adopted bytes; the config first. */
  files: Record<string, string>;
}

/** How a mission's config stands against its adoption. */
export type ConfigState =
  | { kind: 'none' }
  | { kind: 'adopted'; adoption: Adoption; config: string }
  | { kind: 'changed'; adoption: Adoption; config: string; changed: string[] }
  | { kind: 'unadopted' };

// Where the adopted copy of a mission's profile lives.
export function adoptionDir(guardHome: string, missionDir: string): string {
  return join(missionStatePaths(guardHome, missionDir).dir, 'profile');
}

export function readAdoption(guardHome: string, missionDir: string): { adoption: Adoption; config: string } | undefined {
  let dir: string;
  try {
    dir = adoptionDir(guardHome, missionDir);
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(join(dir, 'adopted.json'), 'utf8');
  } catch (error) {
    // No record; ENOTDIR: no guard state at all (a guard home that is a file is reported by
    // the store when it opens, naming that file).
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return undefined;
    throw new GuardError('STATE_IO', `cannot read the adopted profile record ${join(dir, 'adopted.json')}: ${(error as Error).message}`);
  }
  try {
    const adoption = JSON.parse(text) as Adoption;
    if (adoption.v !== 1 || typeof adoption.files !== 'object' || adoption.files === null || !(CONFIG_FILE in adoption.files)) throw new Error('unknown format');
    return { adoption, config: join(dir, 'files', CONFIG_FILE) };
  } catch (error) {
    throw new GuardError('STATE_IO', `the adopted profile record ${join(dir, 'adopted.json')} is damaged (${(error as Error).message}); a human re-adopts with: guard config adopt --mission ${missionDir}`);
  }
}

// The mission's config against its adoption (reads only the files the adoption names).
export function configState(guardHome: string | undefined, missionDir: string): ConfigState {
  const record = guardHome === undefined ? undefined : readAdoption(guardHome, missionDir);
  if (record === undefined) return existsSync(join(missionDir, CONFIG_FILE)) ? { kind: 'unadopted' } : { kind: 'none' };
  const changed = Object.entries(record.adoption.files)
    .filter(([file, digest]) => digestOrNull(join(missionDir, file)) !== digest)
    .map(([file]) => file);
  return changed.length === 0 ? { kind: 'adopted', ...record } : { kind: 'changed', ...record, changed };
}

function digestOrNull(file: string): string | null {
  try {
    return sha256(readBoundedFile(file, MAX_SCHEMA_BYTES, 'file'));
  } catch {
    return null;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Copy the mission's config and its schemas into a staging folder, let `validate` load the staged
 * copy (so what is checked is exactly what is kept), then make it the adopted profile.
 */
export function adoptConfig(guardHome: string, missionDir: string, who: string, validate: (stagedConfig: string) => void): Adoption {
  const configPath = join(missionDir, CONFIG_FILE);
  if (!existsSync(configPath)) throw new GuardError('USAGE', `there is no ${CONFIG_FILE} in ${missionDir} to adopt`);
  const configBytes = readBoundedFile(configPath, MAX_CONFIG_BYTES, CONFIG_FILE);
  const files = new Map<string, Buffer>([[CONFIG_FILE, configBytes]]);
  for (const { file, glob } of schemaFilesOf(configBytes, configPath)) {
    if (!files.has(file)) files.set(file, readBoundedFile(join(missionDir, file), MAX_SCHEMA_BYTES, `schema of ${glob}`, missionDir));
  }
  const dir = adoptionDir(guardHome, missionDir);
  const staging = `${dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  for (const [file, bytes] of files) {
    const target = join(staging, 'files', file);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, bytes, { mode: 0o600 });
  }
  const adoption: Adoption = { v: 1, at: new Date().toISOString(), who, files: Object.fromEntries([...files].map(([file, bytes]) => [file, sha256(bytes)])) };
  try {
    validate(join(staging, 'files', CONFIG_FILE));
    writeFileSync(join(staging, 'adopted.json'), `${JSON.stringify(adoption, null, 2)}\n`, { mode: 0o600 });
    chmodSync(staging, 0o700);
    rmSync(`${dir}.old`, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, `${dir}.old`);
    renameSync(staging, dir);
    rmSync(`${dir}.old`, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return adoption;
}

// The schema files a config names, relative to the mission dir; refused when one leaves it.
export function schemaFilesOf(configBytes: Buffer, label: string): Array<{ file: string; glob: string }> {
  let config: unknown;
  try {
    config = JSON.parse(configBytes.toString('utf8'));
  } catch (error) {
    throw new GuardError('CONFIG_INVALID', `${label} is not valid JSON: ${(error as Error).message}`);
  }
  const artifacts = (config as { artifacts?: unknown }).artifacts;
  if (!Array.isArray(artifacts)) return [];
  const schemas: Array<{ file: string; glob: string }> = [];
  for (const artifact of artifacts) {
    const { schema, glob } = (artifact ?? {}) as { schema?: unknown; glob?: unknown };
    if (typeof schema !== 'string') continue;
    const file = normalize(schema);
    if (unsafeGlobReason(file) !== undefined || file === CONFIG_FILE) throw new GuardError('CONFIG_INVALID', `${label}: schema "${schema}" must be a file inside the config's dir`);
    schemas.push({ file, glob: String(glob) });
  }
  return schemas;
}
