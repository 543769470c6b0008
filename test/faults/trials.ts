// Seeded fault-injection trials (issue 9, "npm run test:faults"), shared by the small run inside
// `npm test` (test/faults/faults.test.ts) and the full campaign (test/faults/campaign.ts). Every
// trial is a pure function of its seed, prints it, and returns the invariants it found broken;
// replay one with FAULT_SEED=<seed> and that family's count alone (FAULT_KILLS=5 FAULT_DAMAGES=0
// FAULT_LOCKS=0 replays a kill chain of 5 steps) npm run test:faults.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../../src/core/replay.js';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { guardTempOwner } from '../../src/store/atomic-write.js';
import { Journal, readJournal } from '../../src/store/journal.js';
import { ObjectStore } from '../../src/store/objects.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { journal, kinds, runGuard, sandbox, sha, spawnGuard, statePaths, stopGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

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

/** How many kill trials run one after another on one mission (each guardian start is the restart of the trial before). */
export const CHAIN_STEPS = 5;

/**
 * Guardian-kill trials, chained on one mission: each step starts a guardian with a failpoint (a
 * SIGKILL right after journaling one kind, or at a random moment after the bad write), writes a
 * bad version of a scheduling artifact, and lets the guardian die. The next step's guardian is the
 * restart: once it has journaled its baseline (recovery runs before it), the bad version must be
 * gone, the file must hold its last good (accepted) version, the mission must be frozen with its
 * sentinel, and no guard temp file may be left. A last clean guardian checks the final step, then
 * `guard ack` (sometimes) must unfreeze, and the journal must verify (chain and high-water mark).
 * A guardian killed before its baseline (a kill point reached during recovery) is simply
 * restarted: recovery from a crash in recovery is part of what is tested.
 */
export async function guardianKillChain(seed: number, steps = CHAIN_STEPS): Promise<TrialResult[]> {
  const next = random(seed);
  const plan = Array.from({ length: steps }, () => ({ point: pick(next, KILL_POINTS), write: pick(next, BAD_WRITES), viaRename: next() < 0.5, delayMs: Math.floor(next() * 40) }));
  const ack = next() < 0.5;
  const results: TrialResult[] = plan.map((step, index) => ({
    name: `guardian-kill step=${index + 1}/${steps} point=${step.point} write=${step.write}${step.viaRename ? ' (rename)' : ''}${step.point === 'random' ? ` delay=${step.delayMs}ms` : ''}`,
    seed,
    violations: [],
    checked: ['accepted-kept', 'bad-removed', 'frozen-until-ack', 'no-orphan-temps', 'trial-completed'],
  }));
  (results[results.length - 1] as TrialResult).checked.push('journal-verifies');
  const box = sandbox();
  const guards: GuardProcess[] = [];
  let current = 0; // the step whose failures are being recorded
  const fail = (invariant: Invariant, detail: string) => (results[current] as TrialResult).violations.push({ invariant, detail });
  try {
    createMission(box.mission, baseFeatures());
    let previous: { bad: { path: string; bytes: string }; goodBefore: Map<string, { lastGood: string | null }> } | undefined;
    for (const [index, step] of plan.entries()) {
      current = index;
      const env = step.point === 'random' ? box.env : { ...box.env, GUARD_CRASH_AFTER: step.point };
      const guard = await startUntilBaseline(box, guards, env);
      if (previous !== undefined) {
        current = index - 1;
        checkAfterRestart(box, previous.bad, previous.goodBefore, fail);
        current = index;
      }
      const goodBefore = new Map(replay(journal(box)).artifacts);
      const bad = badWrite(step.write, box.mission);
      writeBad(box, bad, step.viaRename);
      const exited = () => guard.process.exitCode !== null || guard.process.signalCode !== null;
      if (step.point === 'random') {
        await new Promise((resolve) => setTimeout(resolve, step.delayMs));
        guard.process.kill('SIGKILL');
      } else {
        // The kill point may not come again (the mission is frozen already): kill it once the reaction is done.
        const reacted = () => existsSync(join(box.mission, '.guard-frozen')) && !(existsSync(join(box.mission, bad.path)) && sha(readFileSync(join(box.mission, bad.path))) === sha(bad.bytes));
        await until(() => exited() || reacted(), 'a crash or the whole reaction', TRIAL_DEADLINE_MS);
        if (!exited()) guard.process.kill('SIGKILL');
      }
      await guard.done;
      previous = { bad, goodBefore };
    }
    current = steps - 1;
    const final = await startUntilBaseline(box, guards, box.env);
    if (previous !== undefined) checkAfterRestart(box, previous.bad, previous.goodBefore, fail);
    const stopped = await stopGuard(final);
    if (stopped.code !== 0 && stopped.code !== 3) fail('trial-completed', `the last guardian stopped with ${stopped.code}: ${stopped.stderr}`);
    const status = await runGuard(box, ['status', '--mission', box.mission]);
    if (status.code !== 3) fail('frozen-until-ack', `guard status exited ${status.code}, not 3 (frozen)`);
    if (ack) {
      const acked = await runGuard(box, ['ack', '--mission', box.mission, '--note', `fault trial ${seed}`, '--yes-i-am-human']);
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
  return results;
}

function writeBad(box: Sandbox, bad: { path: string; bytes: string }, viaRename: boolean): void {
  const file = join(box.mission, bad.path);
  if (!viaRename) return writeFileSync(file, bad.bytes);
  const temp = join(box.mission, `.${bad.path}.0123456789ab.tmp`);
  writeFileSync(temp, bad.bytes);
  renameSync(temp, file); // an LLM tool's way
}

// Start guardians (with `env`) until one journals its baseline; one killed at its failpoint
// before that (a crash during recovery) is replaced by another with the same failpoint, then
// without, so the chain always moves on.
async function startUntilBaseline(box: Sandbox, guards: GuardProcess[], env: NodeJS.ProcessEnv): Promise<GuardProcess> {
  for (let attempt = 0; ; attempt++) {
    const before = kinds(box, 'baseline').length;
    const guard = spawnGuard(box, ['watch', box.mission], { env: attempt < 2 ? env : box.env });
    guards.push(guard);
    await until(() => kinds(box, 'baseline').length > before || guard.process.exitCode !== null || guard.process.signalCode !== null, 'a guardian baseline', TRIAL_DEADLINE_MS);
    if (kinds(box, 'baseline').length > before) return guard;
    const ended = await guard.done;
    if (ended.signal !== 'SIGKILL') throw new Error(`a guardian exited ${ended.code} before its baseline: ${ended.stderr}`);
    if (attempt >= 3) throw new Error('no guardian reached its baseline');
  }
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
      const crashing = spawnGuard(box, ['watch', box.mission], { env: { ...box.env, GUARD_CRASH_AFTER: 'lock-dir' } });
      guards.push(crashing);
      await crashing.done;
    }
    const started = Date.now();
    for (let i = 0; i < starters; i++) guards.push(spawnGuard(box, ['watch', box.mission]));
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
  type Job = () => Promise<TrialResult[]>;
  const jobs: Job[] = [];
  for (let i = 0, chain = 0; i < options.kills; i += CHAIN_STEPS, chain++) {
    const steps = Math.min(CHAIN_STEPS, options.kills - i);
    jobs.push(() => guardianKillChain(options.seed + chain, steps));
  }
  for (let i = 0; i < options.damages; i++) jobs.push(async () => [await journalDamageTrial(options.seed + i, i % 4 === 0)]);
  for (let i = 0; i < options.locks; i++) jobs.push(async () => [await lockTakeoverTrial(options.seed + i)]);
  const total = options.kills + options.damages + options.locks;
  const results: TrialResult[] = [];
  let index = 0;
  const worker = async () => {
    while (index < jobs.length) {
      const job = jobs[index++] as Job;
      for (const result of await job()) {
        results.push(result);
        const verdict = result.violations.length === 0 ? 'ok' : `VIOLATION ${result.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`;
        options.log(`trial ${results.length}/${total} seed=${result.seed} ${result.name}: ${verdict}`);
      }
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
