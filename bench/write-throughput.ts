// `guard write` throughput (commitWrite: judge, snapshot, journal, atomic write) against
// write-file-atomic's default (temp, fsync, rename), writing the same sequence of features.json
// versions to the same filesystem. Blocks of the two alternate so machine noise hits both.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { commitWrite } from '../src/mission/transact.js';
import { MissionStore } from '../src/mission/mission-store.js';
import { loadDroidProfile } from '../src/profiles/profile.js';
import { readJournal } from '../src/store/journal.js';
import { createBenchMission, featuresBytes, makeFeatures } from './missions.js';
import { result, type BenchResult } from './report.js';
import { scratch } from './util.js';

const TARGET = 0.8;

// Versions of a 40-feature features.json, each moving one pending feature to in_progress or back
// (a requeue): judged transitions, every version distinct.
function versions(count: number): Buffer[] {
  const features = makeFeatures(40);
  const movable = features.flatMap((feature, index) => (feature.status === 'pending' ? [index] : []));
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const index = movable[i % movable.length] as number;
    const feature = features[index]!;
    feature.status = feature.status === 'pending' ? 'in_progress' : 'pending';
    feature.description = `${feature.description.replace(/ \(v\d+\)$/, '')} (v${i})`;
    out.push(featuresBytes(features));
  }
  return out;
}

export async function benchWriteThroughput(writes = 480, block = 40): Promise<BenchResult> {
  const box = scratch('write');
  try {
    const mission = join(box.dir, 'mission');
    createBenchMission(mission, 40);
    const plainDir = join(box.dir, 'plain');
    mkdirSync(plainDir, { recursive: true });
    const plainFile = join(plainDir, 'features.json');
    const store = await MissionStore.open(box.home, mission, loadDroidProfile());
    const first = await commitWrite(store, 'features.json', readFileSync(join(mission, 'features.json')), 'guard-write');
    if (first.kind === 'rejected') throw new Error(`the initial features.json was rejected: ${JSON.stringify(first.issues)}`);
    const all = versions(writes);
    let plainMs = 0;
    let guardMs = 0;
    let rejected = 0;
    for (let at = 0; at < writes; at += block) {
      const chunk = all.slice(at, at + block);
      let start = performance.now();
      for (const bytes of chunk) await writeFileAtomic(plainFile, bytes);
      plainMs += performance.now() - start;
      start = performance.now();
      for (const bytes of chunk) {
        const written = await commitWrite(store, 'features.json', bytes, 'guard-write');
        if (written.kind !== 'accepted') rejected++;
      }
      guardMs += performance.now() - start;
    }
    const last = all[all.length - 1]!;
    const entries = (await readJournal(store.paths.journal)).entries.filter((entry) => entry.kind === 'write-accepted' && entry.by === 'guard-write').length;
    const correct = rejected === 0 && readFileSync(join(mission, 'features.json')).equals(last) && readFileSync(plainFile).equals(last) && entries === writes + 1;
    const plainRate = (writes / plainMs) * 1000;
    const guardRate = (writes / guardMs) * 1000;
    return result(
      {
        id: 'guard write throughput',
        target: `>= ${TARGET}x write-file-atomic`,
        measured: `${guardRate.toFixed(0)} writes/s (${(guardMs / writes).toFixed(2)} ms each)`,
        baseline: `write-file-atomic ${plainRate.toFixed(0)} writes/s (${(plainMs / writes).toFixed(2)} ms each)`,
        ratio: guardRate / plainRate,
        bound: { op: '>=', value: TARGET },
        details: { writes, bytesPerWrite: last.length, guardMsPerWrite: guardMs / writes, plainMsPerWrite: plainMs / writes, journaledAccepted: entries, rejected, correct },
        notes: [`${writes} versions of a ${(last.length / 1024).toFixed(0)} KB features.json, each a judged status transition; blocks of ${block} alternate between the two writers`],
      },
      [correct],
    );
  } finally {
    box.cleanup();
  }
}
