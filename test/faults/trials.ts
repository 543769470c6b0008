// Seeded fault-injection trials (issue 9, "npm run test:faults"), shared by the small run inside
// `npm test` (test/faults/faults.test.ts) and the full campaign (test/faults/campaign.ts). Every
// trial is a pure function of its seed, prints it, and returns the invariants it found broken;
// replay one with FAULT_SEED=<seed> FAULT_KILLS=1 (or FAULT_DAMAGES / FAULT_LOCKS) npm run test:faults.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../../src/core/replay.js';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { guardTempOwner } from '../../src/store/atomic-write.js';
import { Journal, readJournal } from '../../src/store/journal.js';
import { ObjectStore } from '../../src/store/objects.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { journal, kinds, LOAD_TOLERANT, runGuard, sandbox, sha, spawnGuard, statePaths, stopGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

/** The invariants every trial checks (RELIABILITY.md names them the same way). */
export const INVARIANTS = ['accepted-kept', 'bad-removed', 'frozen-until-ack', 'journal-verifies', 'no-orphan-temps', 'damage-detected', 'lock-single-winner', 'trial-completed'] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface TrialResult {
  name: string;
  seed: number;
  violations: Array<{ invariant: Invariant; detail: string }>;
  /** The invariants this trial checked (a violation-free trial counts as a pass for each). */
  checked: Invariant[];
}

// mulberry32: small, seedable, good enough to pick among a few choices.
export function random(seed: number): () => number {
  let a = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) >>> 0; // consecutive seeds start far apart
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** Where the guardian is killed: right after journaling one of these kinds, or at a random moment. */
export const KILL_POINTS = ['baseline', 'write-rejected', 'frozen', 'restored', 'scheduler-paused', 'random'] as const;

/** Bad writes to scheduling artifacts: each must be rejected, restored and freeze the mission. */
const BAD_WRITES = ['features-reopened', 'features-truncated', 'features-emptied', 'state-invalid'] as const;

const TRIAL_DEADLINE_MS = 40_000;

function badWrite(kind: (typeof BAD_WRITES)[number], mission: string): { path: string; bytes: string } {
  const good = featureText(baseFeatures());
  switch (kind) {
    case 'features-reopened':
      return { path: 'features.json', bytes: featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' })) };
    case 'features-truncated':
      return { path: 'features.json', bytes: good.slice(0, Math.floor(good.length / 2)) };
    case 'features-emptied':
      return { path: 'features.json', bytes: '' };
    case 'state-invalid': {
      const state = JSON.parse(readFileSync(join(mission, 'state.json'), 'utf8')) as Record<string, unknown>;
      return { path: 'state.json', bytes: `${JSON.stringify({ ...state, state: 'exploded', createdAt: 'changed' }, null, 2)}\n` };
    }
  }
}

/**
 * A guardian SIGKILLed at one journaled step of its reaction to a bad write (or at a random
 * moment after the write), then restarted. Afterwards: the file holds its last good version
 * (accepted, never the bad one), the mission is frozen and stays frozen across another restart
 * until `guard ack`, the journal verifies (chain and high-water mark), no guard temp is left.
 */
export async function guardianKillTrial(seed: number): Promise<TrialResult> {
  const next = random(seed);
  const point = pick(next, KILL_POINTS);
  const write = pick(next, BAD_WRITES);
  const viaRename = next() < 0.5;
  const delayMs = Math.floor(next() * 40);
  const ack = next() < 0.15;
  const twice = next() < 0.25; // restart a second time (frozen stays frozen across restarts)
  const name = `guardian-kill point=${point} write=${write}${viaRename ? ' (rename)' : ''}${point === 'random' ? ` delay=${delayMs}ms` : ''}${twice ? ' restarted twice' : ''}${ack ? ' then ack' : ''}`;
  const result: TrialResult = { name, seed, violations: [], checked: ['accepted-kept', 'bad-removed', 'frozen-until-ack', 'journal-verifies', 'no-orphan-temps', 'trial-completed'] };
  const fail = (invariant: Invariant, detail: string) => result.violations.push({ invariant, detail });
  const box = sandbox();
  const guards: GuardProcess[] = [];
  try {
    createMission(box.mission, baseFeatures());
    const env = point === 'random' ? box.env : { ...box.env, GUARD_CRASH_AFTER: point };
    const first = spawnGuard(box, ['watch', box.mission, ...LOAD_TOLERANT], { env });
    guards.push(first);
    const exited = () => first.process.exitCode !== null || first.process.signalCode !== null;
    await until(() => kinds(box, 'baseline').length > 0 || exited(), 'first baseline', TRIAL_DEADLINE_MS);
    const goodBefore = new Map(replay(journal(box)).artifacts);
    const bad = badWrite(write, box.mission);
    const file = join(box.mission, bad.path);
    if (viaRename) {
      const temp = join(box.mission, `.${bad.path}.0123456789ab.tmp`);
      writeFileSync(temp, bad.bytes);
      renameSync(temp, file); // an LLM tool's way
    } else writeFileSync(file, bad.bytes);
    if (point === 'random') {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      first.process.kill('SIGKILL');
    } else {
      // The kill point may not be reached (the reaction is done without it): stop the guard then.
      await until(() => exited() || (kinds(box, 'scheduler-paused').length > 0 && kinds(box, 'restored').length > 0), 'crash or the whole reaction', TRIAL_DEADLINE_MS);
      if (!exited()) first.process.kill('SIGKILL');
    }
    await first.done;

    await restart(box, guards);
    checkAfterRestart(box, bad, goodBefore, fail);
    if (twice) {
      await restart(box, guards);
      const status = await runGuard(box, ['status', '--mission', box.mission]);
      if (status.code !== 3) fail('frozen-until-ack', `status after a second restart exited ${status.code}, not 3 (frozen)`);
      if (!existsSync(join(box.mission, '.guard-frozen'))) fail('frozen-until-ack', 'the sentinel is gone after a second restart without guard ack');
    }
    if (ack) {
      const acked = await runGuard(box, ['ack', '--mission', box.mission, '--note', `fault trial ${seed}`]);
      if (acked.code !== 0) fail('frozen-until-ack', `guard ack exited ${acked.code}: ${acked.stdout}${acked.stderr}`);
      else if (existsSync(join(box.mission, '.guard-frozen'))) fail('frozen-until-ack', 'the sentinel stays after guard ack');
    }
    await checkJournal(box, fail);
  } catch (error) {
    fail('trial-completed', (error as Error).message);
  } finally {
    for (const guard of guards) if (guard.process.exitCode === null && guard.process.signalCode === null) guard.process.kill('SIGKILL');
    await Promise.all(guards.map((guard) => guard.done));
    box.cleanup();
  }
  return result;
}

// Start a guardian (no failpoint), wait for its baseline (recovery runs before it), stop it.
async function restart(box: Sandbox, guards: GuardProcess[]): Promise<void> {
  const before = kinds(box, 'baseline').length;
  const guard = spawnGuard(box, ['watch', box.mission, ...LOAD_TOLERANT]);
  guards.push(guard);
  await until(() => kinds(box, 'baseline').length > before || guard.process.exitCode !== null, 'restart baseline', TRIAL_DEADLINE_MS);
  if (guard.process.exitCode !== null) throw new Error(`the restarted guardian exited ${guard.process.exitCode}: ${guard.stderr()}`);
  const stopped = await stopGuard(guard);
  if (stopped.code !== 0 && stopped.code !== 3) throw new Error(`the restarted guardian stopped with ${stopped.code}: ${stopped.stderr}`); // 3: stopped while frozen
}

function checkAfterRestart(box: Sandbox, bad: { path: string; bytes: string }, goodBefore: Map<string, { lastGood: string | null }>, fail: (invariant: Invariant, detail: string) => void): void {
  const entries = journal(box);
  const state = replay(entries);
  const accepted = new Set<string | null>(entries.flatMap((entry) => (entry.kind === 'write-accepted' && entry.path === bad.path ? [entry.digest] : [])));
  const file = join(box.mission, bad.path);
  const onDisk = existsSync(file) ? sha(readFileSync(file)) : null;
  const lastGood = state.artifacts.get(bad.path)?.lastGood ?? null;
  if (onDisk === sha(bad.bytes)) fail('bad-removed', `${bad.path} still holds the bad version`);
  if (onDisk !== lastGood || !accepted.has(onDisk)) fail('accepted-kept', `${bad.path} holds ${onDisk?.slice(0, 12)}, last good is ${lastGood?.slice(0, 12)}`);
  const before = goodBefore.get(bad.path)?.lastGood;
  // Nothing but the guard's own pause writes (state.json -> paused) may follow the good version.
  if (bad.path === 'features.json' && before !== undefined && lastGood !== before) fail('accepted-kept', `features.json last good changed from ${before?.slice(0, 12)} to ${lastGood?.slice(0, 12)} without a valid write`);
  if (state.freeze.kind !== 'frozen') fail('frozen-until-ack', 'the mission is not frozen after a rejected scheduling write');
  if (!existsSync(join(box.mission, '.guard-frozen'))) fail('frozen-until-ack', 'no sentinel after the restart');
  const temps = guardTemps(box.mission);
  if (temps.length > 0) fail('no-orphan-temps', `guard temp files left: ${temps.join(', ')}`);
}

async function checkJournal(box: Sandbox, fail: (invariant: Invariant, detail: string) => void): Promise<void> {
  try {
    const read = await readJournal(statePaths(box).journal);
    if (read.torn !== null) fail('journal-verifies', `${read.torn.length} torn bytes at the end after a clean stop`);
    read.entries.forEach((entry, index) => {
      if (entry.seq !== index + 1) fail('journal-verifies', `entry ${index + 1} has seq ${entry.seq}`);
    });
  } catch (error) {
    fail('journal-verifies', (error as Error).message);
  }
}

function guardTemps(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && guardTempOwner(entry.name) !== undefined) found.push(entry.name);
  }
  return found;
}

/** Every kind of journal damage; each must be detected (torn tails repaired, not lost). */
export const DAMAGES = ['torn-tail', 'cut-at-line', 'emptied', 'deleted', 'middle-edited', 'middle-removed'] as const;

/**
 * A journal of a random length, damaged one way at a random place: a torn tail is cut back on
 * open with every complete entry kept; every other damage makes every read refuse with
 * JOURNAL_CORRUPT (in process, and `guard status` exits 74).
 */
export async function journalDamageTrial(seed: number, viaCli: boolean): Promise<TrialResult> {
  const next = random(seed);
  const damage = pick(next, DAMAGES);
  const count = 2 + Math.floor(next() * 40);
  const name = `journal-damage ${damage} entries=${count}${viaCli ? ' (cli)' : ''}`;
  const result: TrialResult = { name, seed, violations: [], checked: ['damage-detected', 'trial-completed'] };
  const fail = (invariant: Invariant, detail: string) => result.violations.push({ invariant, detail });
  const box = sandbox();
  try {
    const paths = statePaths(box);
    mkdirSync(paths.dir, { recursive: true });
    const appender = new Journal(paths.journal, new ObjectStore(paths.objects));
    await appender.open();
    for (let i = 0; i < count; i++) await appender.append({ kind: 'tamper', path: `f${i}`, detail: 'x'.repeat(Math.floor(next() * 200)), digest: null });
    const bytes = readFileSync(paths.journal);
    const lines = bytes.toString('utf8').split('\n').slice(0, -1);
    const at = 1 + Math.floor(next() * (lines.length - 1)); // a line index in 1..count-1
    const offsetOf = (line: number) => Buffer.byteLength(lines.slice(0, line).map((text) => `${text}\n`).join(''));
    switch (damage) {
      case 'torn-tail':
        writeFileSync(paths.journal, Buffer.concat([bytes, Buffer.from('{"v":1,"seq":'.slice(0, 1 + Math.floor(next() * 12)))]));
        break;
      case 'cut-at-line':
        truncateSync(paths.journal, offsetOf(at));
        break;
      case 'emptied':
        writeFileSync(paths.journal, '');
        break;
      case 'deleted':
        rmSync(paths.journal);
        break;
      case 'middle-edited':
        lines[at - 1] = (lines[at - 1] as string).replace('"detail":"', '"detail":"edited');
        writeFileSync(paths.journal, `${lines.join('\n')}\n`);
        break;
      case 'middle-removed':
        lines.splice(at - 1, 1);
        writeFileSync(paths.journal, `${lines.join('\n')}\n`);
        break;
    }
    if (viaCli) {
      const status = await runGuard(box, ['status', '--mission', box.mission]);
      const expected = damage === 'torn-tail' ? 0 : 74;
      if (status.code !== expected) fail('damage-detected', `guard status exited ${status.code}, expected ${expected}: ${status.stderr}`);
    } else {
      let code: string | undefined;
      let kept = -1;
      try {
        const reader = new Journal(paths.journal, new ObjectStore(paths.objects));
        await reader.open();
        kept = reader.cursor.lastSeq;
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      if (damage === 'torn-tail') {
        if (code !== undefined) fail('damage-detected', `a torn tail was not repaired on open (${code})`);
        else if (kept !== count + 1) fail('damage-detected', `after the torn-tail repair the journal holds ${kept} entries, expected ${count} + the repair entry`);
      } else if (code !== 'JOURNAL_CORRUPT') fail('damage-detected', `opened without JOURNAL_CORRUPT (${code ?? `ok, ${kept} entries`})`);
    }
  } catch (error) {
    fail('trial-completed', (error as Error).message);
  } finally {
    box.cleanup();
  }
  return result;
}

/**
 * A guardian lock whose maker died before writing the owner file (planted, with a random age, or
 * by a real SIGKILL at the `lock-dir` failpoint), then 1-2 guardians starting at once: exactly one
 * runs, and it starts well within the 60 s stale window.
 */
export async function lockTakeoverTrial(seed: number): Promise<TrialResult> {
  const next = random(seed);
  const how = pick(next, ['planted', 'sigkill'] as const);
  const ageMs = Math.floor(next() * 5000);
  const starters = 1 + Math.floor(next() * 2);
  const name = `lock-takeover ${how}${how === 'planted' ? ` age=${ageMs}ms` : ''} starters=${starters}`;
  const result: TrialResult = { name, seed, violations: [], checked: ['lock-single-winner', 'trial-completed'] };
  const fail = (invariant: Invariant, detail: string) => result.violations.push({ invariant, detail });
  const box = sandbox();
  const guards: GuardProcess[] = [];
  try {
    createMission(box.mission, baseFeatures());
    const paths = statePaths(box);
    if (how === 'planted') {
      mkdirSync(paths.guardianLock, { recursive: true });
      const then = new Date(Date.now() - ageMs);
      utimesSync(paths.guardianLock, then, then);
    } else {
      const crashing = spawnGuard(box, ['watch', box.mission, ...LOAD_TOLERANT], { env: { ...box.env, GUARD_CRASH_AFTER: 'lock-dir' } });
      guards.push(crashing);
      await crashing.done;
    }
    const started = Date.now();
    for (let i = 0; i < starters; i++) guards.push(spawnGuard(box, ['watch', box.mission, ...LOAD_TOLERANT]));
    const running = guards.slice(-starters);
    await until(() => kinds(box, 'baseline').length > 0 || running.every((guard) => guard.process.exitCode !== null), 'a guardian baselines', TRIAL_DEADLINE_MS);
    const took = Date.now() - started;
    if (took > 30_000) fail('lock-single-winner', `the takeover took ${took} ms`);
    if (starters === 2) await until(() => running.some((guard) => guard.process.exitCode !== null), 'the second starter gives up', TRIAL_DEADLINE_MS);
    const alive = running.filter((guard) => guard.process.exitCode === null);
    const started2 = kinds(box, 'guard-started').length;
    if (alive.length !== 1 || started2 !== 1) fail('lock-single-winner', `${alive.length} guardians running, ${started2} guard-started entries`);
    for (const guard of running) if (guard.process.exitCode !== null && guard.process.exitCode !== 4) fail('lock-single-winner', `a starter exited ${guard.process.exitCode}: ${guard.stderr()}`);
    for (const guard of alive) await stopGuard(guard);
  } catch (error) {
    fail('trial-completed', (error as Error).message);
  } finally {
    for (const guard of guards) if (guard.process.exitCode === null && guard.process.signalCode === null) guard.process.kill('SIGKILL');
    await Promise.all(guards.map((guard) => guard.done));
    box.cleanup();
  }
  return result;
}

/** How many trials of each family, from which seed, how many at once. */
export interface CampaignOptions {
  seed: number;
  kills: number;
  damages: number;
  locks: number;
  concurrency: number;
  log: (line: string) => void;
}

export interface CampaignSummary {
  trials: number;
  results: TrialResult[];
  /** Per invariant: trials that checked it, and violations. */
  table: Map<Invariant, { trials: number; violations: number }>;
}

// Run the trials (seed, seed + 1, ... per family), `concurrency` at a time, logging each.
export async function runCampaign(options: CampaignOptions): Promise<CampaignSummary> {
  const jobs: Array<() => Promise<TrialResult>> = [];
  for (let i = 0; i < options.kills; i++) jobs.push(() => guardianKillTrial(options.seed + i));
  for (let i = 0; i < options.damages; i++) jobs.push(() => journalDamageTrial(options.seed + i, i % 4 === 0));
  for (let i = 0; i < options.locks; i++) jobs.push(() => lockTakeoverTrial(options.seed + i));
  const results: TrialResult[] = [];
  let index = 0;
  const worker = async () => {
    while (index < jobs.length) {
      const job = jobs[index++] as () => Promise<TrialResult>;
      const result = await job();
      results.push(result);
      const verdict = result.violations.length === 0 ? 'ok' : `VIOLATION ${result.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`;
      options.log(`trial ${results.length}/${jobs.length} seed=${result.seed} ${result.name}: ${verdict}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const table = new Map<Invariant, { trials: number; violations: number }>();
  for (const result of results) {
    for (const invariant of result.checked) {
      const row = table.get(invariant) ?? { trials: 0, violations: 0 };
      row.trials++;
      if (result.violations.some((v) => v.invariant === invariant)) row.violations++;
      table.set(invariant, row);
    }
  }
  return { trials: results.length, results, table };
}

// Seeds: FAULT_SEED replays, else a fresh one (printed).
export function campaignSeed(env: NodeJS.ProcessEnv): number {
  const given = env.FAULT_SEED;
  return given !== undefined && given !== '' ? Number(given) : Math.floor(Math.random() * 1_000_000_000);
}

export function countFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  return value !== undefined && value !== '' ? Number(value) : fallback;
}
