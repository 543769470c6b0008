// One guardian process (`guard watch --root`) watching 200 droid missions: resident memory after
// every baseline, and CPU used while nothing happens. The baseline is an idle node process
// measured over the same window.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createBenchMission } from './missions.js';
import { result, type BenchResult } from './report.js';
import { cpuTicks, mb, rssBytes, scratch, sleep, startWatch } from './util.js';

const RSS_LIMIT = 80 * 1024 * 1024;
/** "No CPU while idle": under 1 % of one core, averaged over the idle window. */
const IDLE_CPU_LIMIT = 0.01;

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/**
 * The guardian is a long-running process: its steady RSS is what it costs. V8 keeps the heap it
 * grew during the 200 baselines until its memory reducer runs, some 30-40 s after activity stops,
 * so RSS is sampled right after the baselines and again at the end of the idle window.
 */
export async function benchGuardianFootprint(missions = 200, idleSeconds = 45): Promise<BenchResult[]> {
  const box = scratch('footprint');
  const root = join(box.dir, 'missions');
  for (let i = 0; i < missions; i++) createBenchMission(join(root, `mission-${String(i).padStart(3, '0')}`));
  const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  const started = performance.now();
  const watching = await startWatch(['--root', root], box.env, (w) => new Set(w.lines.filter((line) => line.kind === 'baseline').map((line) => line.mission)).size >= missions, 180_000);
  try {
    const adoptMs = performance.now() - started;
    await sleep(2000); // re-scans of new dirs scheduled at start have run
    const afterStart = rssBytes(watching.pid);
    const hz = clockTicksPerSecond();
    const before = { guard: cpuTicks(watching.pid), node: cpuTicks(idle.pid!), at: performance.now() };
    const linesBefore = watching.lines.length;
    const samples: number[] = [];
    for (let waited = 0; waited < idleSeconds; waited += 5) {
      await sleep(Math.min(5, idleSeconds - waited) * 1000);
      samples.push(rssBytes(watching.pid));
    }
    const seconds = (performance.now() - before.at) / 1000;
    const rss = samples[samples.length - 1] ?? rssBytes(watching.pid);
    const idleRss = rssBytes(idle.pid!);
    const guardTicks = cpuTicks(watching.pid) - before.guard;
    const nodeTicks = cpuTicks(idle.pid!) - before.node;
    const cpu = guardTicks / hz / seconds;
    const quiet = watching.lines.length === linesBefore;
    const guarded = new Set(watching.lines.filter((line) => line.kind === 'baseline').map((line) => line.mission)).size;
    return [
      result({
        id: `guardian RSS, ${missions} missions`,
        target: '< 80 MB',
        measured: `${mb(rss)} after ${seconds.toFixed(0)} s idle (${mb(afterStart)} right after the baselines, ${mb(Math.min(...samples))}-${mb(Math.max(...samples))} while idle); ${guarded} missions adopted in ${(adoptMs / 1000).toFixed(1)} s`,
        baseline: `limit 80 MB; idle node ${mb(idleRss)}`,
        ratio: rss / RSS_LIMIT,
        bound: { op: '<', value: 1 },
        details: { missions: guarded, rssBytes: rss, rssAfterStartBytes: afterStart, rssIdleSamplesBytes: samples, idleNodeRssBytes: idleRss, adoptMs, idleSeconds: seconds },
      }),
      result(
        {
          id: 'guardian CPU while idle',
          target: '~0 (< 1% of a core)',
          measured: `${guardTicks} ticks in ${seconds.toFixed(1)} s = ${(cpu * 100).toFixed(2)}% of a core`,
          baseline: `idle node ${nodeTicks} ticks; limit 1%`,
          ratio: cpu / IDLE_CPU_LIMIT,
          bound: { op: '<', value: 1 },
          details: { guardTicks, idleNodeTicks: nodeTicks, seconds, clockTicksPerSecond: hz, journalQuiet: quiet },
          notes: quiet ? [] : ['the guardian journaled something during the idle window'],
        },
        [quiet],
      ),
    ];
  } finally {
    await watching.stop();
    idle.kill('SIGKILL');
    box.cleanup();
  }
}
