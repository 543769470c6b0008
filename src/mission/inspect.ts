// Inspect a mission against durable truth (issue "durable truth" items 4-5): judge every artifact
// that differs from its last good, read the evidence files on disk, and build the resume plan.
// Read-only: `guard plan`, `guard verify`, `guard ack`, the guardian at start and `repair
// --rebuild` all use it, from a replayed view or a guardian's live state.
import { join } from 'node:path';
import { shellQuote } from '../core/freeze.js';
import type { EvidenceFact } from '../core/entries.js';
import { judgeVersion, parseVersion, type ArtifactSpec, type LastGood } from '../core/judge.js';
import { planMission, type Current, type Disagreement, type Plan } from '../core/plan.js';
import { isLastGood, type MissionState } from '../core/replay.js';
import { asMissionPath, digestOf, type Issue } from '../core/types.js';
import { matchArtifact, orchestratorOf, type Profile } from '../profiles/profile.js';
import type { ObjectStore } from '../store/objects.js';
import { listMissionFiles, readOrNull } from './file-io.js';
import { isEscape, symlinkedDir } from '../store/contained.js';
import { listOddEntries } from './odd-entries.js';
import { judgeContextOf, readLastGood } from './mission-read.js';

/** What an inspection reads: a mission's replayed state, its objects, its files. */
export interface InspectSource {
  missionDir: string;
  profile: Profile;
  state: MissionState;
  objects: ObjectStore;
  /** Inspect as if this version were on disk: what `guard verify` would say after a write. */
  proposed?: { path: string; bytes: Buffer | null };
  /** Artifacts already read (by reconcileWithDisk, under the same write lock): not read again. */
  read?: ReadonlyMap<string, Buffer | null>;
}

export interface Inspection {
  /** The summary artifact the plan is about (droid: features.json); undefined when the profile has none. */
  summary: { path: string; spec: ArtifactSpec } | undefined;
  plan: Plan;
  /** Every disagreement: rejected artifacts first, then the plan's. */
  disagreements: Disagreement[];
}

// The artifact whose items carry the statuses the orchestrator schedules from.
export function summaryArtifact(profile: Profile): { path: string; spec: ArtifactSpec } | undefined {
  const spec = profile.artifacts.find((artifact) => artifact.role === 'scheduling' && artifact.statusItems !== undefined && !/[*?{[]/.test(artifact.glob));
  return spec === undefined ? undefined : { path: spec.glob, spec };
}

export async function inspectMission(source: InspectSource): Promise<Inspection> {
  const { missionDir, profile, state, objects } = source;
  const lastGood = (path: string, spec: ArtifactSpec): Promise<LastGood | undefined> => readLastGood(objects, state, path, spec);

  const summary = summaryArtifact(profile);
  const disagreements: Disagreement[] = [];
  const diskFacts: EvidenceFact[] = [];
  let current: Current = { kind: 'missing' };
  let summaryGood: unknown;

  const { proposed } = source;
  const paths = new Set([...(await listMissionFiles(missionDir)), ...state.artifacts.keys(), ...(proposed === undefined ? [] : [proposed.path])]);
  for (const path of [...paths].sort()) {
    const missionPath = asMissionPath(path);
    const spec = missionPath === undefined ? undefined : matchArtifact(profile, missionPath);
    if (spec === undefined || spec.role === 'tracked') continue;
    // Behind a symlinked directory nothing is read (it is reported as such below): as if absent.
    const bytes =
      proposed?.path === path
        ? proposed.bytes
        : source.read?.has(path) === true
          ? (source.read.get(path) ?? null)
          : await readOrNull(join(missionDir, path)).catch((error: unknown) => (isEscape(error) && error.code === 'ELOOP' ? null : Promise.reject(error)));
    const unchanged = isLastGood(state, path, bytes === null ? null : digestOf(bytes));
    const isSummary = path === summary?.path;
    // Last good is read from the object store only when it is weighed: a changed artifact or the
    // summary (most of a mission is unchanged, and each read is a file, a gunzip and a hash).
    const previous = unchanged && !isSummary ? undefined : await lastGood(path, spec);
    const verdict = unchanged ? undefined : judgeVersion(spec, previous, bytes, judgeContextOf(state, spec));
    const evidence = spec.role === 'evidence';
    if (verdict?.kind === 'rejected' && !isSummary) {
      disagreements.push({
        code: 'artifact-rejected',
        severity: 'error',
        path,
        message: `${path} does not pass its checks: ${verdict.issues.map((issue) => issue.message).join('; ')}`,
        fix: previous === undefined ? ['write', path, '--from', 'FIXED-FILE'] : ['repair', '--restore', path],
      });
    }
    const doc = bytes === null || !(isSummary || evidence) ? undefined : parseVersion(spec, undefined, bytes); // parsed only where used
    if (isSummary) {
      summaryGood = previous?.doc;
      current = bytes === null ? { kind: 'missing' } : doc?.ok === true ? { kind: 'ok', doc: doc.value } : { kind: 'unreadable', issues: doc?.ok === false ? doc.issues : [] };
      if (verdict?.kind === 'rejected' && current.kind === 'ok') disagreements.push(...ruleDisagreements(path, verdict.issues, previous !== undefined));
    } else if (evidence && doc?.ok === true) {
      diskFacts.push(...orchestratorOf(profile).evidenceFacts(path, undefined, doc.value));
    }
  }

  disagreements.push(...oddArtifacts(missionDir, profile));
  if (summary === undefined || summary.spec.statusItems === undefined) {
    return { summary, plan: { done: [], pending: [], disagreements: [], finalization: [] }, disagreements };
  }
  const plan = planMission({ state, path: summary.path, selector: summary.spec.statusItems, lastGood: summaryGood, current, diskFacts });
  // One line per feature: what durable truth says about it (reverted, missing) says more than a
  // side rule it also breaks (a forgotten workerSessionIds), and its fix covers both.
  const key = (item: Disagreement) => `${item.path}\0${item.feature ?? ''}`;
  const named = new Set(plan.disagreements.filter((item) => item.severity === 'error').map(key));
  const merged = [...disagreements.filter((item) => !named.has(key(item))), ...plan.disagreements];
  return { summary, plan, disagreements: merged };
}

// A symlink, FIFO or device where an artifact should be: never followed, always a disagreement.
function oddArtifacts(missionDir: string, profile: Profile): Disagreement[] {
  return listOddEntries(missionDir).flatMap(({ path, what }) => {
    const missionPath = asMissionPath(path);
    // A symlinked directory: what agents write behind it is outside the mission, never judged.
    if (symlinkedDir(join(missionDir, path)) !== undefined) {
      return [{ code: 'artifact-rejected' as const, severity: 'error' as const, path, message: `${path} is ${what}, a directory outside the mission dir: the guard never follows it, so nothing written behind it is guarded (remove the link; move what belongs to the mission into a real directory)`, fix: ['verify'] }];
    }
    if (missionPath === undefined || matchArtifact(profile, missionPath) === undefined) return [];
    return [{ code: 'artifact-rejected' as const, severity: 'error' as const, path, message: `${path} is ${what}, not a regular file: an artifact must be a file in the mission dir (remove it, then write the real file)`, fix: ['write', path, '--from', 'FIXED-FILE'] }];
  });
}

// Issue codes the plan reports per feature (reverted, missing) in its own words.
const FEATURE_LEVEL = new Set<Issue['code']>(['terminal-status', 'no-removal', 'evidence']);

// Summary rule violations other than the feature-level ones the plan names itself.
function ruleDisagreements(path: string, issues: Issue[], hasLastGood: boolean): Disagreement[] {
  const fix = hasLastGood ? ['repair', '--restore', path] : ['write', path, '--from', 'FIXED-FILE'];
  return issues
    .filter((issue) => !FEATURE_LEVEL.has(issue.code))
    .map((issue) => ({ code: 'artifact-rejected' as const, severity: 'error' as const, path, ...(issue.item === undefined ? {} : { feature: issue.item }), message: `${path}: ${issue.message}`, fix }));
}

// The command that fixes a disagreement, ready to paste.
export function fixCommand(fix: readonly string[], missionDir: string): string {
  const [command, ...args] = fix;
  return ['guard', command ?? 'verify', '--mission', shellQuote(missionDir), ...args.map((arg) => (arg === 'FIXED-FILE' ? arg : shellQuote(arg)))].join(' ');
}
