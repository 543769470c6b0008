// The open-for-writing check (DESIGN.md §7, §11): its cost per incomplete version on a machine
// with 500 extra processes, against the 20 ms target; and what it looked at.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAN_PROBE_WRITERS, probeWriters } from '../src/watch/open-writers.js';
import { result, type BenchResult } from './report.js';
import { median, ms, percentile, scratch, sleep, until } from './util.js';

const LIMIT_MS = 20;
const PROCESSES = 500;

export async function benchWriterProbe(): Promise<BenchResult> {
  const target = `open-for-writing check < ${LIMIT_MS} ms with ${PROCESSES} processes`;
  if (!CAN_PROBE_WRITERS) throw new Error('no /proc fdinfo here: the settle window applies instead (README "How completion is decided")');
  const box = scratch('probe');
  const file = join(box.dir, 'features.json');
  writeFileSync(file, '{"features": [');
  const sleepers: ChildProcess[] = Array.from({ length: PROCESSES }, () => spawn('sleep', ['600'], { stdio: 'ignore' }));
  try {
    await until(() => sleepers.every((child) => child.pid !== undefined), 'the processes started');
    await sleep(500);
    const none: number[] = [];
    let looked = { processes: 0, fds: 0, skipped: 0 };
    for (let round = 0; round < 40; round++) {
      const start = performance.now();
      const probe = probeWriters(file);
      none.push(performance.now() - start);
      if (probe.kind !== 'none') throw new Error(`expected no writer, got ${probe.kind}`);
      looked = { processes: probe.processes, fds: probe.fds, skipped: probe.skipped ?? 0 };
    }
    const holder = spawn('sh', ['-c', `exec 3>>"$1"; sleep 600`, 'sh', file], { stdio: 'ignore' });
    sleepers.push(holder);
    await until(() => probeWriters(file).kind === 'held', 'the holder seen');
    const held: number[] = [];
    for (let round = 0; round < 40; round++) {
      const start = performance.now();
      if (probeWriters(file).kind !== 'held') throw new Error('the holder was not seen');
      held.push(performance.now() - start);
    }
    const p99 = percentile(none, 99);
    return result({
      id: 'open-for-writing check',
      target,
      measured: `nobody writes: p50 ${ms(median(none))}, p99 ${ms(p99)} over ${looked.processes} fd tables / ${looked.fds} fds read (${looked.skipped} processes passed over: kernel threads, no fds, or not readable); a writer seen again: p50 ${ms(median(held))}`,
      baseline: `${LIMIT_MS} ms`,
      ratio: p99 / LIMIT_MS,
      bound: { op: '<', value: 1 },
      details: { p50: median(none), p99, processes: looked.processes, fds: looked.fds, skipped: looked.skipped, heldP50: median(held), heldP99: percentile(held, 99) },
    });
  } finally {
    for (const child of sleepers) child.kill('SIGKILL');
    box.cleanup();
  }
}
