// What a denied agent reads on stderr (exit 2 feeds it to the model): which artifact, which rule,
// which feature, and the safe way to write. Plain text, no colour: it goes into a model's context.
import { shellQuote } from '../core/freeze.js';
import type { Issue, Role } from '../core/types.js';

/** One artifact a denied call would have broken. */
export interface DeniedArtifact {
  missionDir: string;
  path: string;
  /** 'mission': the mission dir itself; 'sentinel': its freeze sentinel. */
  role: Role | 'mission' | 'sentinel';
  issues: Issue[];
  /** For shell writes: how the command writes it. */
  how?: string;
  /** The journaled reason, when it is not derived from the issues. */
  reason?: string;
}

const MAX_ISSUES = 6;
const SENTINEL_NOTE = 'freeze sentinel, removed only by a human\'s guard ack';

// The reason journaled with `hook-denied`: one line.
export function denialReason(artifact: DeniedArtifact): string {
  if (artifact.reason !== undefined) return artifact.reason;
  if (artifact.role === 'sentinel') return `${artifact.how ?? 'write'} of the freeze sentinel; only guard ack removes it`;
  if (artifact.how !== undefined) return `shell write (${artifact.how}) to a ${artifact.role} ${artifact.role === 'mission' ? 'dir' : 'artifact'}`;
  const first = artifact.issues[0];
  return first === undefined ? 'rejected' : `${first.code}: ${first.message}${artifact.issues.length > 1 ? ` (+${artifact.issues.length - 1} more)` : ''}`;
}

// The message for a write whose proposed bytes the judge rejected.
export function writeDeniedMessage(tool: string, denied: readonly DeniedArtifact[]): string {
  const lines = [`mission guard denied this ${tool}: the result would break ${denied.length === 1 ? 'a mission artifact' : `${denied.length} mission artifacts`}. Nothing was written.`];
  for (const artifact of denied) {
    lines.push('', `${artifact.path} (${artifact.role} artifact of mission ${artifact.missionDir}):`);
    for (const issue of artifact.issues.slice(0, MAX_ISSUES)) lines.push(`  - rule ${issue.code}${issue.item === undefined ? '' : `, feature "${issue.item}"`}: ${issue.message}`);
    if (artifact.issues.length > MAX_ISSUES) lines.push(`  - and ${artifact.issues.length - MAX_ISSUES} more issues`);
  }
  const features = [...new Set(denied.flatMap((artifact) => artifact.issues.flatMap((issue) => (issue.item === undefined ? [] : [issue.item]))))];
  if (features.length > 0) lines.push('', `Features involved: ${features.join(', ')}. Completed and cancelled features keep their status and are never removed.`);
  lines.push('', 'Fix the content and try again, keeping every rule above. Mission artifacts can also be written transactionally (judged, atomic, journaled):', `  ${guardWrite(denied[0] as DeniedArtifact)}`);
  lines.push('If the change is really intended (for example reopening a completed feature), stop and ask a human: only a human can permit it.');
  return lines.join('\n');
}

// The message for a shell command that would write mission artifacts.
export function shellDeniedMessage(tool: string, denied: readonly DeniedArtifact[]): string {
  const lines = [`mission guard denied this ${tool} command: it writes to mission state that the guard protects, and shell writes bypass its checks. Nothing was run.`];
  for (const artifact of denied) {
    if (artifact.role === 'mission') lines.push(`  - ${artifact.how}: removes the whole mission dir ${artifact.missionDir}`);
    else if (artifact.role === 'sentinel') lines.push(`  - ${artifact.how}: ${artifact.path} (${SENTINEL_NOTE} of mission ${artifact.missionDir})`);
    else lines.push(`  - ${artifact.how}: ${artifact.path} (${artifact.role} artifact of mission ${artifact.missionDir})`);
  }
  const target = denied.find((artifact) => artifact.role !== 'mission' && artifact.role !== 'sentinel');
  lines.push('', 'Reading artifacts is fine (cat, jq without redirection).');
  if (target !== undefined) lines.push('To change one, write the complete new content to a file outside the mission dir, then run:', `  ${guardWrite(target)}`, `or use the ${tool === 'Bash' ? 'Write / Edit' : 'Create / Edit / ApplyPatch'} tools, which the guard checks.`);
  return lines.join('\n');
}

// The message for a file tool aimed at the freeze sentinel.
export function sentinelDeniedMessage(tool: string, denied: readonly DeniedArtifact[]): string {
  const lines = [`mission guard denied this ${tool}: it would change ${denied.map((artifact) => `${artifact.missionDir}/${artifact.path}`).join(', ')}, the ${SENTINEL_NOTE}. Nothing was written.`];
  lines.push('The mission is frozen until a human inspects the incident and runs guard ack; editing or removing the sentinel does not unfreeze it. Tell the user and wait.');
  return lines.join('\n');
}

/** The freeze the run would start into. */
export interface FrozenMission {
  missionDir: string;
  since: string;
  incident: number;
  reason: string;
}

// The message for StartMissionRun while the mission is frozen.
export function startDeniedMessage(frozen: FrozenMission): string {
  const mission = shellQuote(frozen.missionDir);
  return [
    `mission guard denied StartMissionRun: mission ${frozen.missionDir} is frozen since ${frozen.since} (incident ${frozen.incident}: ${frozen.reason}).`,
    'The mission may not start or resume until a human has inspected the incident and acknowledged it. Do not try to work around this; tell the user and wait.',
    `A human runs: guard status --mission ${mission}`,
    `then, once repaired: guard ack --mission ${mission} --note "..."`,
  ].join('\n');
}

function guardWrite(artifact: DeniedArtifact): string {
  return `guard write --mission ${shellQuote(artifact.missionDir)} ${shellQuote(artifact.path)} --from FILE`;
}
