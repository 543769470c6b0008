// Judging appends to a fast-growing log (issue 9 item 10): the guardian's look at
// progress_log.jsonl after one appended line, in process (src/guardian/appends.ts: read, judge,
// store and journal the appended bytes), on a 1 MB and a 10 MB log. The cost per append must not
// grow with the log: the row is the ratio of the two medians. For contrast, the same append
// judged the old way (the whole file read, hashed, judged and stored) on the 10 MB log.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMission } from '../src/demo/droid-files.js';
import { AppendTails } from '../src/guardian/appends.js';
import { MissionStore } from '../src/mission/mission-store.js';
import { loadDroidProfile } from '../src/profiles/profile.js';
import { readFileVersion } from '../src/store/file-bytes.js';
import { makeFeatures } from './missions.js';
import { result, type BenchResult } from './report.js';
import { median, ms, percentile, scratch } from './util.js';

const BOUND = 1.5;

function line(n: number): string {
  return `${JSON.stringify({ type: 'worker_started', timestamp: '2026-12-02T06:00:00.000Z', workerSessionId: `w-${n}`, spawnId: `spawn-${n}` })}\n`;
}

interface Run {
  mb: number;
  samples: number[];
  fastLooks: number;
  oldWay: number[];
  correct: boolean;
}

/** A mission whose log has grown to `megabytes`, its version last good, ready to append to. */
async function grownLog(megabytes: number) {
  const box = scratch('appends');
  const mission = join(box.dir, 'mission');
  createMission(mission, makeFeatures(10));
  const log = join(mission, 'progress_log.jsonl');
  const lines: string[] = [];
  let size = 0;
  for (let n = 0; size < megabytes * 1024 * 1024; n++) {
    lines.push(line(n));
    size += lines[lines.length - 1]!.length;
  }
  appendFileSync(log, lines.join(''));
  const store = await MissionStore.open(box.home, mission, loadDroidProfile());
  const spec = store.specOf('progress_log.jsonl')!;
  const tails = new AppendTails(store);
  const first = await tails.look('progress_log.jsonl', spec, log);
  const bytes = first.kind === 'full' ? (first.version?.bytes ?? null) : null;
  const judged = await store.judge('progress_log.jsonl', spec, bytes);
  if (judged.verdict.kind !== 'accepted') throw new Error('the grown log was rejected');
  await store.recordAccepted('progress_log.jsonl', spec, bytes, judged.verdict, judged.previous, 'baseline');
  const run: Run = { mb: megabytes, samples: [], fastLooks: 0, oldWay: [], correct: true };
  let n = 1_000_000;
  return {
    run,
    cleanup: () => box.cleanup(),
    // Append one line and look, as the guardian does at a watcher event.
    async append(): Promise<void> {
      appendFileSync(log, line(n++));
      const start = performance.now();
      const look = await tails.look('progress_log.jsonl', spec, log);
      run.samples.push(performance.now() - start);
      if (look.kind === 'appended') run.fastLooks++;
      else if (look.digest !== store.state.artifacts.get('progress_log.jsonl')?.lastGood) {
        // An audit found the new line: judged and stored as the guardian's usual path does.
        const full = await store.judge('progress_log.jsonl', spec, look.version?.bytes ?? null);
        if (full.verdict.kind === 'accepted') await store.recordAccepted('progress_log.jsonl', spec, look.version?.bytes ?? null, full.verdict, full.previous, 'watcher');
      }
    },
    // The same append judged the old way: the whole file read, hashed, judged and stored.
    async appendOldWay(): Promise<void> {
      appendFileSync(log, line(n++));
      const start = performance.now();
      const version = readFileVersion(log);
      const full = await store.judge('progress_log.jsonl', spec, version?.bytes ?? null);
      if (full.verdict.kind === 'accepted') await store.recordAccepted('progress_log.jsonl', spec, version?.bytes ?? null, full.verdict, full.previous, 'watcher');
      run.oldWay.push(performance.now() - start);
    },
    async check(): Promise<void> {
      const lastGood = store.state.artifacts.get('progress_log.jsonl')?.lastGood;
      run.correct = lastGood !== undefined && lastGood !== null && Buffer.from(await store.objects.get(lastGood)).equals(readFileSync(log));
    },
  };
}

export async function benchAppends(appends = 300, block = 30): Promise<BenchResult> {
  const smallLog = await grownLog(1);
  const largeLog = await grownLog(10);
  try {
    // Blocks of the two alternate, so that machine noise hits both.
    for (let done = 0; done < appends; done += block) {
      for (let i = 0; i < block; i++) await smallLog.append();
      for (let i = 0; i < block; i++) await largeLog.append();
    }
    for (let i = 0; i < 10; i++) await largeLog.appendOldWay();
    await smallLog.check();
    await largeLog.check();
  } finally {
    smallLog.cleanup();
    largeLog.cleanup();
  }
  const small = smallLog.run;
  const large = largeLog.run;
  const ratio = median(large.samples) / median(small.samples);
  const describe = (r: Run) => `${r.mb} MB: median ${ms(median(r.samples))}, p90 ${ms(percentile(r.samples, 90))}, mean ${ms(r.samples.reduce((a, b) => a + b, 0) / r.samples.length)} (${r.fastLooks}/${r.samples.length} appends-only)`;
  return result(
    {
      id: 'log append judged, 10 MB vs 1 MB log',
      target: `cost per append independent of log size (<= ${BOUND}x)`,
      measured: describe(large),
      baseline: `${describe(small)}; old way on 10 MB: median ${ms(median(large.oldWay))}`,
      ratio,
      bound: { op: '<=', value: BOUND },
      details: { appends, smallMs: small.samples, largeMs: large.samples, oldWayMs: large.oldWay, fastLooks: { small: small.fastLooks, large: large.fastLooks } },
      notes: ['one line (about 120 bytes) appended per look; a look that is not appends-only is the audit (a full read at least every second of fast looks), included in the mean'],
    },
    [small.correct, large.correct],
  );
}
