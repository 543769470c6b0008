// `npm run bench`: measure every DESIGN.md §11 target as a ratio against a baseline measured in
// the same run, print a table (or --json), and exit 1 if any target is missed.
//
// Options: --json (one JSON document on stdout), --json-file FILE (also write it there),
// --only WORD[,WORD] (benchmarks whose key contains a word). Progress goes to stderr. Everything
// runs in temp dirs with GUARD_HOME set; nothing touches the user's guard state.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { benchAppends } from './appends.js';
import { benchBursts } from './bursts.js';
import { benchGuardianFootprint } from './guardian-footprint.js';
import { benchHook } from './hook-startup.js';
import { benchReplay, benchStatus } from './journal-replay.js';
import { failed, renderTable, type BenchResult } from './report.js';
import { benchRestoreFinalization, benchRestoreScheduling } from './restore-latency.js';
import { benchSnapshotStorage } from './snapshot-storage.js';
import { benchWriteThroughput } from './write-throughput.js';
import { benchWriterProbe } from './writer-probe.js';
import { benchFalseIncidents } from './false-incidents.js';

interface Bench {
  key: string;
  target: string;
  run: () => Promise<BenchResult | BenchResult[]>;
}

const BENCHES: Bench[] = [
  { key: 'restore', target: 'finished bad write -> restored p99 <= floor + 10 ms', run: () => benchRestoreFinalization(200) },
  { key: 'restore-scheduling', target: 'finished bad write -> restored p99 <= floor + 10 ms', run: () => benchRestoreScheduling(24) },
  { key: 'probe', target: 'open-for-writing check < 20 ms with 500 processes', run: () => benchWriterProbe() },
  { key: 'false-incidents', target: '0 false incidents under load', run: () => benchFalseIncidents() },
  { key: 'bursts', target: 'last version of every file judged', run: () => benchBursts() },
  { key: 'appends', target: 'log append cost independent of log size', run: () => benchAppends() },
  { key: 'write', target: 'guard write >= 0.8x write-file-atomic', run: () => benchWriteThroughput() },
  { key: 'hook', target: 'guard hook <= 1.5x node -e 0', run: () => benchHook() },
  { key: 'replay', target: 'replay 1M entries < 2 s', run: () => benchReplay() },
  { key: 'status', target: 'guard status on 100k entries < 200 ms', run: () => benchStatus() },
  { key: 'snapshots', target: 'snapshot storage < 10% of full copies', run: () => benchSnapshotStorage() },
  { key: 'footprint', target: 'guardian RSS < 80 MB for 200 missions; idle CPU ~0', run: () => benchGuardianFootprint() },
];

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { json: { type: 'boolean' }, 'json-file': { type: 'string' }, only: { type: 'string' } }, strict: true });
  const only = values.only?.split(',').map((word) => word.trim().toLowerCase()).filter((word) => word !== '') ?? [];
  const chosen = only.length === 0 ? BENCHES : BENCHES.filter((bench) => only.some((word) => bench.key.includes(word)));
  const started = performance.now();
  const rows: BenchResult[] = [];
  for (const bench of chosen) {
    process.stderr.write(`bench: ${bench.key} ...`);
    const at = performance.now();
    try {
      const out = await bench.run();
      rows.push(...(Array.isArray(out) ? out : [out]));
    } catch (error) {
      rows.push(failed(bench.key, bench.target, error));
    }
    process.stderr.write(` ${((performance.now() - at) / 1000).toFixed(1)} s\n`);
  }
  const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), platform: `${process.platform} ${process.arch}` };
  const missed = rows.filter((row) => !row.pass);
  const seconds = (performance.now() - started) / 1000;
  const document = `${JSON.stringify({ date: new Date().toISOString(), machine, seconds, pass: missed.length === 0, results: rows }, null, 2)}\n`;
  if (values['json-file'] !== undefined) writeFileSync(values['json-file'], document);
  if (values.json === true) {
    process.stdout.write(document);
  } else {
    process.stdout.write(`mission guard benchmarks (DESIGN.md §11): node ${machine.node}, ${machine.cpus} cpus (${machine.cpuModel}), ${new Date().toISOString()}\n\n`);
    process.stdout.write(`${renderTable(rows)}\n\n`);
    process.stdout.write(missed.length === 0 ? `all ${rows.length} targets met in ${seconds.toFixed(0)} s\n` : `${missed.length} of ${rows.length} targets missed (${missed.map((row) => row.id).join('; ')}) in ${seconds.toFixed(0)} s\n`);
  }
  return missed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
