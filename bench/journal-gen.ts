// A realistic journal of any length with a valid hash chain, as a long droid mission under
// `guard run` with hooks would leave it: for each feature a worker picks it up, the hook approves
// the orchestrator's edits, features.json moves pending -> in_progress -> completed, progress log
// lines, handoffs and state.json heartbeats are judged and evidence journaled; now and then an
// incident is caught, restored, the scheduler paused and a human acknowledges; the guard restarts.
// About 19 entries per worker run, so 100,000 entries are some 5,000 worker runs (and handoffs).
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EntryBody } from '../src/core/entries.js';
import { GENESIS_PREV } from '../src/core/entries.js';
import { digestOf, type Role } from '../src/core/types.js';
import { hashLine } from '../src/store/journal.js';

const FEATURES = 2000;
const ROLES: Record<string, Role> = { 'features.json': 'scheduling', 'state.json': 'scheduling', 'progress_log.jsonl': 'evidence', 'validation-state.json': 'evidence', 'worker-transcripts.jsonl': 'finalization' };
const START = Date.parse('2025-06-01T08:00:00.000Z');

/** The last version of each artifact, so a generated journal can match files on disk. */
export type FinalDigests = Record<string, string>;

/** Where the generated mission's files are, when they should exist on disk (handoffs). */
export interface GenerateOptions {
  /** The last versions of these artifacts, accepted at the end (so the journal matches disk). */
  finals?: FinalDigests;
  /** Write each handoff the journal names into this mission dir, and journal its real digest. */
  missionDir?: string;
}

// Write `count` entries to `file` (replacing it).
export function generateJournal(file: string, count: number, options: GenerateOptions = {}): { bytes: number; handoffs: number } {
  const finals = options.finals ?? {};
  let handoffs = 0;
  const pool = Array.from({ length: 4096 }, () => randomBytes(32).toString('hex'));
  const digest = (n: number) => pool[n & 4095] as string;
  const tail: EntryBody[] = Object.entries(finals).map(([path, final]) => ({ kind: 'write-accepted', path, digest: final as never, size: 1000, role: ROLES[path] ?? 'tracked', by: 'watcher', transitions: [] }));
  const fd = openSync(file, 'w');
  let prev = GENESIS_PREV;
  let seq = 0;
  let bytes = 0;
  let chunk: string[] = [];
  let chunkLength = 0;
  const flush = () => {
    const buffer = Buffer.from(chunk.join(''));
    writeSync(fd, buffer);
    bytes += buffer.length;
    chunk = [];
    chunkLength = 0;
  };
  const emit = (body: EntryBody) => {
    seq++;
    const line = JSON.stringify({ v: 1, seq, at: new Date(START + seq * 731).toISOString(), prev, ...body });
    prev = hashLine(line);
    chunk.push(line, '\n');
    chunkLength += line.length + 1;
    if (chunkLength > 1 << 20) flush();
  };
  try {
    const bodies = entryStream();
    while (seq < count - tail.length) emit(bodies.next().value as EntryBody);
    for (const body of tail) emit(body);
    flush();
  } finally {
    closeSync(fd);
  }
  return { bytes, handoffs };

  function* entryStream(): Generator<EntryBody> {
    for (let cycle = 0; ; cycle++) {
      const id = `f${String(cycle % FEATURES).padStart(5, '0')}-feature`;
      const session = `w-${cycle}-${digest(cycle).slice(0, 8)}`;
      const handoff = `handoffs/2025-06-01T08-00-00-000Z__${id}__${session}.json`;
      const requeue = cycle % 7 === 3;
      const handoffDigest = writeHandoffFile(handoff, id, session) ?? digest(cycle * 13 + 3);
      if (cycle % 2000 === 0) {
        yield { kind: 'guard-started', pid: 4000 + cycle, host: 'devbox', profile: 'droid', mode: 'run' };
        yield { kind: 'child-started', pid: 4001 + cycle, command: ['droid', 'exec', '--mission'] };
        yield { kind: 'baseline', artifacts: 12, frozen: false };
      }
      // The runner starts a worker (DROID.md §2, §4): features.json in_progress, two progress lines.
      yield { kind: 'write-accepted', path: 'features.json', digest: digest(cycle * 13) as never, size: 48_211, role: 'scheduling', by: 'watcher', transitions: [{ item: id, from: 'pending', to: 'in_progress' }] };
      yield { kind: 'write-accepted', path: 'progress_log.jsonl', digest: digest(cycle * 13 + 1) as never, size: 20_000 + cycle, role: 'evidence', by: 'watcher', transitions: [] };
      yield { kind: 'write-accepted', path: 'progress_log.jsonl', digest: digest(cycle * 13 + 9) as never, size: 20_100 + cycle, role: 'evidence', by: 'watcher', transitions: [] };
      // state.json heartbeats (every ~180 s) while the worker runs.
      for (let beat = 0; beat < 6; beat++) {
        yield { kind: 'write-accepted', path: 'state.json', digest: digest(cycle * 13 + 20 + beat) as never, size: 412, role: 'scheduling', by: 'watcher', transitions: [] };
      }
      // EndFeatureRun: features.json, handoff, transcript, state.json, progress_log worker_completed.
      yield { kind: 'write-accepted', path: 'features.json', digest: digest(cycle * 13 + 5) as never, size: 48_240, role: 'scheduling', by: 'watcher', transitions: [{ item: id, from: 'in_progress', to: requeue ? 'pending' : 'completed' }] };
      yield { kind: 'write-accepted', path: handoff, digest: handoffDigest as never, size: 1_834, role: 'evidence', by: 'watcher', transitions: [] };
      yield { kind: 'evidence', path: handoff, facts: [{ fact: 'worker-completed', feature: id, session, outcome: requeue ? 'partial' : 'success', source: handoff }] };
      yield { kind: 'write-accepted', path: 'worker-transcripts.jsonl', digest: digest(cycle * 13 + 2) as never, size: 1_000_000 + cycle * 900, role: 'finalization', by: 'watcher', transitions: [] };
      yield { kind: 'write-accepted', path: 'state.json', digest: digest(cycle * 13 + 3) as never, size: 430, role: 'scheduling', by: 'watcher', transitions: [] };
      yield { kind: 'write-accepted', path: 'progress_log.jsonl', digest: digest(cycle * 13 + 4) as never, size: 20_300 + cycle, role: 'evidence', by: 'watcher', transitions: [] };
      yield { kind: 'evidence', path: 'progress_log.jsonl', facts: [{ fact: 'worker-completed', feature: id, session, outcome: requeue ? 'partial' : 'success', source: `progress_log.jsonl:${cycle * 4 + 7}` }] };
      // The orchestrator LLM edits features.json through a hooked tool now and then.
      if (cycle % 4 === 0) {
        yield { kind: 'hook-allowed', tool: 'Edit', path: 'features.json', session: 'orchestrator', digest: digest(cycle * 13 + 11) as never };
        yield { kind: 'write-accepted', path: 'features.json', digest: digest(cycle * 13 + 11) as never, size: 48_300, role: 'scheduling', by: 'watcher', transitions: [] };
      }
      if (cycle % 50 === 49) {
        yield { kind: 'write-accepted', path: 'validation-state.json', digest: digest(cycle * 13 + 6) as never, size: 3_000, role: 'evidence', by: 'watcher', transitions: [] };
        yield { kind: 'evidence', path: 'validation-state.json', facts: [{ fact: 'assertion', assertion: `VAL-${cycle}-001`, status: 'passed', milestone: `m${cycle % 40}` }] };
      }
      if (cycle % 500 === 250) yield* incident(cycle);
    }
  }

  // The handoff's digest when it is written to disk (once: handoffs are write-once).
  function writeHandoffFile(path: string, feature: string, session: string): string | undefined {
    if (options.missionDir === undefined) return undefined;
    const bytes = Buffer.from(`${JSON.stringify({ timestamp: '2025-06-01T08:00:00.000Z', workerSessionId: session, featureId: feature, milestone: 'm1', successState: 'success', returnToOrchestrator: false, handoff: { salientSummary: `worked on ${feature}`, whatWasImplemented: `${feature} implemented`, whatWasLeftUndone: '', verification: { commandsRun: ['npm test'] }, tests: 'passing', discoveredIssues: [] } }, null, 2)}\n`);
    const file = join(options.missionDir, path);
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
      handoffs++;
    }
    return digestOf(bytes);
  }

  function* incident(cycle: number): Generator<EntryBody> {
    const seqNow = seq + 1;
    yield { kind: 'write-rejected', path: 'features.json', digest: digest(cycle * 13 + 7) as never, size: 48_100, role: 'scheduling', by: 'watcher', issues: [{ code: 'terminal-status', pointer: '/features/3/status', message: 'feature "f00003-feature" was completed and may not become pending' }] };
    yield { kind: 'frozen', incident: seqNow, path: 'features.json', reason: 'features.json: feature "f00003-feature" was completed and may not become pending' };
    yield { kind: 'restored', path: 'features.json', incident: seqNow, digest: digest(cycle * 13 + 5) as never, replaced: digest(cycle * 13 + 7) as never };
    yield { kind: 'write-accepted', path: 'state.json', digest: digest(cycle * 13 + 8) as never, size: 412, role: 'scheduling', by: 'freeze', transitions: [] };
    yield { kind: 'scheduler-paused', incident: seqNow, how: 'state.json set to paused; mission_paused appended to progress_log.jsonl' };
    yield { kind: 'acknowledged', note: 'restored by the guard; checked the diff', who: 'dev@devbox', incidents: [seqNow] };
  }
}
