// A realistic journal of any length with a valid hash chain, as a long droid mission under
// `guard run` with hooks would leave it: for each feature a worker picks it up, the hook approves
// the orchestrator's edits, features.json moves pending -> in_progress -> completed, progress log
// lines and handoffs are judged and their evidence journaled, transcripts grow; now and then an
// incident is caught, restored, the scheduler paused and a human acknowledges; the guard restarts.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { EntryBody } from '../src/core/entries.js';
import { GENESIS_PREV } from '../src/core/entries.js';
import { hashLine } from '../src/store/journal.js';

const FEATURES = 2000;
const START = Date.parse('2025-06-01T08:00:00.000Z');

/** The last version of each artifact, so a generated journal can match files on disk. */
export type FinalDigests = Record<string, string>;

// Write `count` entries to `file` (replacing it); the last entries accept `finals`, if given.
export function generateJournal(file: string, count: number, finals: FinalDigests = {}): { bytes: number } {
  const pool = Array.from({ length: 4096 }, () => randomBytes(32).toString('hex'));
  const digest = (n: number) => pool[n & 4095] as string;
  const tail: EntryBody[] = Object.entries(finals).map(([path, final]) => ({ kind: 'write-accepted', path, digest: final as never, size: 1000, role: 'scheduling', by: 'watcher', transitions: [] }));
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
  return { bytes };

  function* entryStream(): Generator<EntryBody> {
    for (let cycle = 0; ; cycle++) {
      const id = `f${String(cycle % FEATURES).padStart(5, '0')}-feature`;
      const session = `w-${cycle}-${digest(cycle).slice(0, 8)}`;
      const handoff = `handoffs/2025-06-01T08-00-00-000Z__${id}__${session}.json`;
      const requeue = cycle % 7 === 3;
      if (cycle % 2000 === 0) {
        yield { kind: 'guard-started', pid: 4000 + cycle, host: 'devbox', profile: 'droid', mode: 'run' };
        yield { kind: 'child-started', pid: 4001 + cycle, command: ['droid', 'exec', '--mission'] };
        yield { kind: 'baseline', artifacts: 12, frozen: false };
      }
      yield { kind: 'hook-allowed', tool: 'Edit', path: 'features.json', session: 'orchestrator', digest: digest(cycle * 13) as never };
      yield { kind: 'write-accepted', path: 'features.json', digest: digest(cycle * 13) as never, size: 48_211, role: 'scheduling', by: 'watcher', transitions: [{ item: id, from: 'pending', to: 'in_progress' }] };
      yield { kind: 'write-accepted', path: 'progress_log.jsonl', digest: digest(cycle * 13 + 1) as never, size: 20_000 + cycle, role: 'evidence', by: 'watcher', transitions: [] };
      yield { kind: 'write-accepted', path: 'worker-transcripts.jsonl', digest: digest(cycle * 13 + 2) as never, size: 1_000_000 + cycle * 900, role: 'finalization', by: 'watcher', transitions: [] };
      yield { kind: 'hook-allowed', tool: 'Create', path: handoff, session, digest: digest(cycle * 13 + 3) as never };
      yield { kind: 'write-accepted', path: handoff, digest: digest(cycle * 13 + 3) as never, size: 1_834, role: 'evidence', by: 'watcher', transitions: [] };
      yield { kind: 'evidence', path: handoff, facts: [{ fact: 'worker-completed', feature: id, session, outcome: requeue ? 'partial' : 'success', source: handoff }] };
      yield { kind: 'write-accepted', path: 'progress_log.jsonl', digest: digest(cycle * 13 + 4) as never, size: 20_300 + cycle, role: 'evidence', by: 'watcher', transitions: [] };
      yield { kind: 'evidence', path: 'progress_log.jsonl', facts: [{ fact: 'worker-completed', feature: id, session, outcome: requeue ? 'partial' : 'success', source: `progress_log.jsonl:${cycle * 4 + 7}` }] };
      yield { kind: 'hook-allowed', tool: 'Edit', path: 'features.json', session: 'orchestrator', digest: digest(cycle * 13 + 5) as never };
      yield { kind: 'write-accepted', path: 'features.json', digest: digest(cycle * 13 + 5) as never, size: 48_240, role: 'scheduling', by: 'watcher', transitions: [{ item: id, from: 'in_progress', to: requeue ? 'pending' : 'completed' }] };
      if (cycle % 50 === 49) {
        yield { kind: 'write-accepted', path: 'validation-state.json', digest: digest(cycle * 13 + 6) as never, size: 3_000, role: 'evidence', by: 'watcher', transitions: [] };
        yield { kind: 'evidence', path: 'validation-state.json', facts: [{ fact: 'assertion', assertion: `VAL-${cycle}-001`, status: 'passed', milestone: `m${cycle % 40}` }] };
      }
      if (cycle % 500 === 250) yield* incident(cycle);
    }
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
