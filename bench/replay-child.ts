// Run in a fresh node process by the replay benchmark, so each measurement starts with an empty
// heap like a real command. Prints the timings as JSON.
// Usage: node dist/bench/replay-child.js JOURNAL MODE
//   read-all:    readJournal + replay, keeping every entry (guard log, plan, verify)
//   fold:        foldJournal + applyEntries: full chain verification, no cache, nothing kept
//   status-path: replayWithProjection with projection.json beside JOURNAL (guard status)
//   compare:     status-path and a full replay must give identical states (exits 1 if not)
import { dirname, join } from 'node:path';
import { applyEntries, emptyState, replay, type MissionState } from '../src/core/replay.js';
import { foldJournal, readJournal, START } from '../src/store/journal.js';
import { replayWithProjection } from '../src/store/projection.js';

const [file, mode] = process.argv.slice(2);
if (file === undefined || mode === undefined) throw new Error('usage: replay-child.js JOURNAL read-all|fold|status-path|compare');
const started = performance.now();
let state: MissionState;
let cached = false;
let tail = 0;
if (mode === 'read-all') {
  state = replay((await readJournal(file)).entries);
} else if (mode === 'fold') {
  const folded = emptyState();
  await foldJournal(file, START, (entries) => applyEntries(folded, entries));
  state = folded;
} else if (mode === 'status-path') {
  const projection = await replayWithProjection(file, join(dirname(file), 'projection.json'));
  state = projection.state;
  cached = projection.cached;
  tail = projection.tail;
} else if (mode === 'compare') {
  // The projection path must give exactly the state a full replay gives.
  const projection = await replayWithProjection(file, join(dirname(file), 'projection.json'));
  state = replay((await readJournal(file)).entries);
  cached = projection.cached;
  tail = projection.tail;
  const same = plain(projection.state) === plain(state);
  if (!same) throw new Error('the projection path and a full replay disagree');
} else throw new Error(`unknown mode ${mode}`);
const totalMs = performance.now() - started;
process.stdout.write(`${JSON.stringify({ mode, seq: state.seq, features: state.features.size, incidents: state.incidents.size, totalMs, cached, tail, heapMb: process.memoryUsage().heapUsed / 1048576 })}\n`);

function plain(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (inner instanceof Map ? [...inner] : inner));
}
