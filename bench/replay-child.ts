// Run in a fresh node process by the replay benchmark: read + verify a journal and replay it with
// the code `guard status` uses (readJournal, then replay), and print the timings as JSON.
// Usage: node dist/bench/replay-child.js JOURNAL
import { readJournal } from '../src/store/journal.js';
import { replay } from '../src/core/replay.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: replay-child.js JOURNAL');
const started = performance.now();
const read = await readJournal(file);
const verified = performance.now();
const state = replay(read.entries);
const done = performance.now();
process.stdout.write(
  `${JSON.stringify({ entries: read.entries.length, seq: state.seq, torn: read.torn?.length ?? 0, features: state.features.size, readVerifyMs: verified - started, replayMs: done - verified, totalMs: done - started, heapMb: process.memoryUsage().heapUsed / 1048576 })}\n`,
);
