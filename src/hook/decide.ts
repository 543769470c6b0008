// The hook's decision for one tool call (DESIGN.md §10): judge the proposed bytes of every touched
// artifact of a guarded mission, deny shell writes to artifacts, block StartMissionRun while
// frozen, and journal every decision. Profiles, schemas and the journal are loaded only once a
// call is known to touch a guarded mission.
import { readFileSync } from 'node:fs';
import type { EntryBody } from '../core/entries.js';
import type { ArtifactSpec } from '../core/judge.js';
import { asMissionPath, digestOf, type Digest, type Issue } from '../core/types.js';
import { errnoOf } from '../errors.js';
import type { MissionStore } from '../mission/mission-store.js';
import type { Profile } from '../profiles/profile.js';
import { proposeOutcomes, type FileOp } from './file-ops.js';
import { MissionLocator, type GuardedPath } from './guarded-missions.js';
import { startCandidates } from './mission-of-session.js';
import { SENTINEL } from '../store/paths.js';
import { denialReason, sentinelDeniedMessage, shellDeniedMessage, startDeniedMessage, writeDeniedMessage, type DeniedArtifact } from './messages.js';
import { shellWrites } from './shell-writes.js';
import { gatedCommandOwners, missionsAbove, toolDeniedMessage } from './orchestrator-tools.js';
import { orchestratorNamed, type Orchestrator } from '../orchestrators/index.js';
import { protectedFiles, protectedShell } from './protected-state.js';
import type { HookCall } from './tool-calls.js';

/** Plain values the CLI resolved from the environment. */
export interface HookSettings {
  guardHome: string;
  home: string;
  /** droid's missions root: ${FACTORY_HOME_OVERRIDE:-$HOME}/.factory/missions. */
  missionsRoot: string;
  /** GUARD_MISSION, resolved, when set. */
  guardMission: string | undefined;
}

/** What the CLI does: exit 0 (maybe with a warning on stderr) or exit 2 with the message. */
export type Decision = { kind: 'allow'; warning?: string } | { kind: 'deny'; message: string };

const ALLOW: Decision = { kind: 'allow' };

// Decide one call; throws only on a broken environment (the CLI then fails open).
export async function decideHookCall(call: HookCall, settings: HookSettings): Promise<Decision> {
  const locator = new MissionLocator(settings.guardHome);
  const missions = new Missions(settings.guardHome);
  const action = call.action;
  switch (action.kind) {
    case 'unrelated':
      return ALLOW;
    case 'files':
      return decideFiles(call, action.ops, locator, missions, settings);
    case 'shell':
      return decideShell(call, action.command, settings, locator, missions);
    case 'start-run':
      return decideStart(call, settings, locator, missions);
    case 'orchestrator-tool':
      return decideOrchestratorTool(call, [orchestratorNamed(action.orchestrator)], action.projectRoot, locator, missions);
    case 'malformed': {
      const note = `malformed payload, allowed: ${action.problem}`;
      for (const at of action.paths.flatMap((path) => locator.locate(path) ?? [])) {
        if (at.rel !== '' && (await missions.specOf(at)) !== undefined) await missions.journal(at.missionDir, allowed(call, at.rel, undefined, note));
      }
      return { kind: 'allow', warning: `guard hook: ${call.tool === '?' ? 'a' : `the ${call.tool}`} call was allowed unchecked: ${action.problem}` };
    }
  }
}

/** One touched artifact and what the judge made of it. */
type Judged = { at: GuardedPath; spec: ArtifactSpec; digest: Digest | undefined; note?: string; bytes?: Buffer } & ({ ok: true } | { ok: false; issues: Issue[] });

async function decideFiles(call: HookCall, ops: readonly FileOp[], locator: MissionLocator, missions: Missions, settings: HookSettings): Promise<Decision> {
  const paths = [...new Set(ops.flatMap((op) => (op.kind === 'patch' ? [op.path, op.from] : [op.path])))];
  const protection = protectedFiles(call.tool, paths, settings, locator);
  if (protection !== undefined) return denyAll(call, missions, protection.artifacts, protection.message);
  const guarded = paths.flatMap((path) => locator.locate(path) ?? []).filter((at) => at.rel !== '');
  if (guarded.length === 0) return ALLOW;
  const sentinels = guarded.filter((at) => at.rel === SENTINEL).map((at): DeniedArtifact => ({ missionDir: at.missionDir, path: at.rel, role: 'sentinel', issues: [], how: call.tool }));
  if (sentinels.length > 0) return denyAll(call, missions, sentinels, sentinelDeniedMessage(call.tool, sentinels));
  const outcomes = proposeOutcomes(ops, readTextOrNull);
  const { judgeProposed, storeApproved } = await import('./proposed-write.js'); // judging code: only for calls that touch a guarded mission
  const judged: Judged[] = [];
  for (const at of guarded) {
    const spec = await missions.specOf(at);
    const outcome = outcomes.get(at.path);
    if (spec === undefined || outcome === undefined) continue;
    if (outcome.kind === 'unknown') {
      judged.push({ at, spec, digest: undefined, note: outcome.why, ok: true });
      continue;
    }
    const bytes = outcome.kind === 'text' ? Buffer.from(outcome.text, 'utf8') : null;
    const digest = bytes === null ? undefined : digestOf(bytes);
    if (spec.role === 'tracked') {
      judged.push({ at, spec, digest, ok: true });
      continue;
    }
    const verdict = await judgeProposed(await missions.store(at.missionDir), at.rel, spec, bytes);
    judged.push(verdict.ok ? { at, spec, digest, ok: true, ...(bytes === null ? {} : { bytes }) } : { at, spec, digest, ok: false, issues: verdict.issues });
  }
  const rejected = judged.flatMap((item) => (item.ok ? [] : [{ missionDir: item.at.missionDir, path: item.at.rel, role: item.spec.role, issues: item.issues }]));
  if (rejected.length > 0) return denyAll(call, missions, rejected, writeDeniedMessage(call.tool, rejected));
  for (const item of judged) {
    if (item.bytes !== undefined) await storeApproved(await missions.store(item.at.missionDir), item.at.rel, item.spec, item.bytes);
    await missions.journal(item.at.missionDir, allowed(call, item.at.rel, item.digest, item.note));
  }
  return ALLOW;
}

async function decideShell(call: HookCall, command: string, settings: HookSettings, locator: MissionLocator, missions: Missions): Promise<Decision> {
  const owners = gatedCommandOwners(command);
  if (owners.length > 0) {
    const gated = await decideOrchestratorTool(call, owners, call.cwd, locator, missions);
    if (gated.kind === 'deny') return gated;
  }
  const writes = shellWrites(command, { cwd: call.cwd, home: settings.home });
  const hits: DeniedArtifact[] = [];
  const tracked: GuardedPath[] = [];
  for (const write of writes) {
    for (const at of locator.expand(write).flatMap((path) => locator.locate(path) ?? [])) {
      if (at.rel === '') {
        if (write.removes) hits.push({ missionDir: at.missionDir, path: '.', role: 'mission', issues: [], how: write.how });
        continue;
      }
      if (at.rel === SENTINEL) {
        hits.push({ missionDir: at.missionDir, path: at.rel, role: 'sentinel', issues: [], how: write.how });
        continue;
      }
      const spec = await missions.specOf(at);
      if (spec?.role === 'tracked') tracked.push(at);
      else if (spec !== undefined) hits.push({ missionDir: at.missionDir, path: at.rel, role: spec.role, issues: [], how: write.how });
    }
  }
  const unique = [...new Map(hits.map((hit) => [`${hit.missionDir}\0${hit.path}\0${hit.how}`, hit])).values()];
  if (unique.length > 0) return denyAll(call, missions, unique, shellDeniedMessage(call.tool, unique));
  // Beyond the writes named above (which get the precise message): the allowlist near guarded
  // state, and guard commands only a human may run.
  const protection = protectedShell(call.tool, command, call.cwd, settings, locator);
  if (protection !== undefined) return denyAll(call, missions, protection.artifacts, protection.message);
  for (const at of tracked) await missions.journal(at.missionDir, allowed(call, at.rel, undefined, 'shell write to a tracked file'));
  return ALLOW;
}

// The session's mission as droid resolves it, and the missions of its working directory
// (mission-of-session.ts); GUARD_MISSION names one too.
async function decideStart(call: HookCall, settings: HookSettings, locator: MissionLocator, missions: Missions): Promise<Decision> {
  const transcript = call.action.kind === 'start-run' ? call.action.transcript : undefined;
  const candidates = startCandidates(call, transcript, { ...settings, isGuarded: (dir) => locator.isMission(dir) }).map((candidate) => candidate.dir);
  for (const dir of candidates) {
    const store = await missions.store(dir);
    const freeze = store.state.freeze;
    if (freeze.kind === 'frozen') {
      const reason = `mission frozen since ${freeze.since} (incident ${freeze.incident}): ${freeze.reason}`;
      const message = startDeniedMessage({ missionDir: store.paths.missionDir, since: freeze.since, incident: freeze.incident, reason: freeze.reason });
      return denyAll(call, missions, [{ missionDir: dir, path: '.', role: 'mission', issues: [], reason }], message);
    }
  }
  for (const dir of candidates) await missions.journal(dir, allowed(call, '.', undefined, undefined));
  return ALLOW;
}

// An orchestrator's own tool or CLI (its adapter's pause gate): denied while the nearest guarded
// mission of that orchestrator at or above `start` is frozen, allowed (unjournaled) otherwise.
async function decideOrchestratorTool(call: HookCall, owners: readonly Orchestrator[], start: string, locator: MissionLocator, missions: Missions): Promise<Decision> {
  for (const orchestrator of owners) {
    for (const dir of missionsAbove(start, orchestrator, locator)) {
      if ((await missions.profile(dir)).orchestrator !== orchestrator.name) continue;
      const store = await missions.store(dir);
      const freeze = store.state.freeze;
      if (freeze.kind !== 'frozen') continue;
      const reason = `${orchestrator.title} mission frozen since ${freeze.since} (incident ${freeze.incident}): ${freeze.reason}`;
      const message = toolDeniedMessage(call.tool, orchestrator.title, { missionDir: store.paths.missionDir, since: freeze.since, incident: freeze.incident, reason: freeze.reason });
      return denyAll(call, missions, [{ missionDir: dir, path: '.', role: 'mission', issues: [], reason }], message);
    }
  }
  return ALLOW;
}

// Journal the denials, then deny. A verdict already reached stands even if the journal cannot
// take it: denying a known-bad write is the safe side.
async function denyAll(call: HookCall, missions: Missions, artifacts: readonly DeniedArtifact[], message: string): Promise<Decision> {
  try {
    for (const artifact of artifacts) await missions.journal(artifact.missionDir, denied(call, artifact));
  } catch (error) {
    return { kind: 'deny', message: `${message}\n(mission guard could not journal this decision: ${(error as Error).message})` };
  }
  return { kind: 'deny', message };
}

function allowed(call: HookCall, path: string, digest: Digest | undefined, note: string | undefined): EntryBody {
  return { kind: 'hook-allowed', tool: call.tool, path, ...session(call), ...(digest === undefined ? {} : { digest }), ...(note === undefined ? {} : { note }) };
}

function denied(call: HookCall, artifact: DeniedArtifact): EntryBody {
  return { kind: 'hook-denied', tool: call.tool, path: artifact.path, ...session(call), reason: denialReason(artifact), issues: artifact.issues };
}

function session(call: HookCall): { session?: string } {
  return call.session === undefined ? {} : { session: call.session };
}

function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return null;
    throw error;
  }
}

/** Profiles and journals of the missions one call touches, each loaded at most once, on demand. */
class Missions {
  readonly #guardHome: string;
  readonly #profiles = new Map<string, Profile>();
  readonly #stores = new Map<string, MissionStore>();

  constructor(guardHome: string) {
    this.#guardHome = guardHome;
  }

  async profile(missionDir: string): Promise<Profile> {
    let profile = this.#profiles.get(missionDir);
    if (profile === undefined) {
      const { resolveProfile } = await import('../profiles/profile.js');
      // The adopted profile, even when the mission's copy changed since; an unadopted one throws
      // and the hook then denies (fails closed) for this mission.
      profile = resolveProfile(missionDir, {}, { guardHome: this.#guardHome, changed: 'last-adopted' });
      this.#profiles.set(missionDir, profile);
    }
    return profile;
  }

  // The artifact spec of a mission path, if it is one.
  async specOf(at: GuardedPath): Promise<ArtifactSpec | undefined> {
    const { matchArtifact } = await import('../profiles/profile.js');
    const path = asMissionPath(at.rel);
    return path === undefined ? undefined : matchArtifact(await this.profile(at.missionDir), path);
  }

  async store(missionDir: string): Promise<MissionStore> {
    let store = this.#stores.get(missionDir);
    if (store === undefined) {
      const { MissionStore } = await import('../mission/mission-store.js');
      store = await MissionStore.open(this.#guardHome, missionDir, await this.profile(missionDir));
      this.#stores.set(missionDir, store);
    }
    return store;
  }

  async journal(missionDir: string, body: EntryBody): Promise<void> {
    await (await this.store(missionDir)).append(body);
  }
}
