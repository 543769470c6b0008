// 1,000 accepted versions of a 1 MB features.json, each changing one feature, stored the way
// MissionStore.recordAccepted stores them (ObjectStore.put with the previous version as base).
// Storage is the disk usage of the object store; the baseline is the disk usage of one full
// copy written as a plain file here, times 1,000.
import { lstatSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../src/core/types.js';
import { featureText, type Feature } from '../src/demo/droid-files.js';
import { ObjectStore } from '../src/store/objects.js';
import { makeFeature } from './missions.js';
import { mb, scratch } from './util.js';
import { result, type BenchResult } from './report.js';

const TARGET = 0.1;

/** features.json as text built from per-feature pieces, so one change costs a join, not a stringify. */
class FeaturesText {
  readonly #pieces: string[];
  constructor(features: Feature[]) {
    this.#pieces = features.map((feature) => this.#piece(feature));
  }
  set(index: number, feature: Feature): void {
    this.#pieces[index] = this.#piece(feature);
  }
  text(): string {
    return `{\n  "features": [\n${this.#pieces.join(',\n')}\n  ]\n}\n`;
  }
  #piece(feature: Feature): string {
    return JSON.stringify(feature, null, 2)
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n');
  }
}

function diskUsage(dir: string): { blocks: number; apparent: number; files: number } {
  let blocks = 0;
  let apparent = 0;
  let files = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const stats = lstatSync(join(entry.parentPath, entry.name));
    blocks += stats.blocks * 512;
    apparent += stats.size;
    files++;
  }
  return { blocks, apparent, files };
}

export async function benchSnapshotStorage(versions = 1000): Promise<BenchResult> {
  const box = scratch('snapshots');
  try {
    const features: Feature[] = [];
    for (let index = 0; ; index++) {
      features.push(makeFeature(index, index % 3 === 0 ? 'completed' : 'pending'));
      if (features.length % 100 === 0 && Buffer.byteLength(featureText(features)) >= 1024 * 1024) break;
    }
    const text = new FeaturesText(features);
    if (text.text() !== featureText(features)) throw new Error('features text pieces do not match featureText');
    const store = new ObjectStore(join(box.dir, 'objects'));
    const kept: Array<{ digest: Digest; bytes: Buffer }> = [];
    let previous: { digest: Digest; bytes: Buffer } | undefined;
    let putMs = 0;
    for (let version = 0; version < versions; version++) {
      const index = (version * 7919) % features.length;
      const feature = features[index]!;
      const changed: Feature = feature.status === 'pending' ? { ...feature, status: 'in_progress', currentWorkerSessionId: `w-${version}` } : { ...feature, description: `${feature.description} (v${version})` };
      features[index] = changed;
      text.set(index, changed);
      const bytes = Buffer.from(text.text());
      const start = performance.now();
      const digest = await store.put(bytes, previous);
      putMs += performance.now() - start;
      previous = { digest, bytes };
      if (version % 97 === 0 || version === versions - 1) kept.push(previous);
    }
    const size = previous!.bytes.length;
    // Every sampled version reads back byte for byte (a delta chain resolves, re-hashed).
    let readBack = 0;
    for (const sample of kept) if (Buffer.from(await store.get(sample.digest)).equals(sample.bytes)) readBack++;
    const copy = join(box.dir, 'one-full-copy.json');
    writeFileSync(copy, previous!.bytes);
    const copyBlocks = statSync(copy).blocks * 512;
    const usage = diskUsage(join(box.dir, 'objects'));
    const baseline = copyBlocks * versions;
    return result(
      {
        id: 'snapshot storage, 1,000 x 1 MB',
        target: `< ${TARGET * 100}% of 1,000 full copies`,
        measured: `${mb(usage.blocks)} on disk (${mb(usage.apparent)} in ${usage.files} objects)`,
        baseline: `1,000 x ${mb(copyBlocks)} = ${mb(baseline)}`,
        ratio: usage.blocks / baseline,
        bound: { op: '<', value: TARGET },
        details: { versions, bytesPerVersion: size, features: features.length, objectFiles: usage.files, diskBytes: usage.blocks, apparentBytes: usage.apparent, fullCopyDiskBytes: copyBlocks, putMsPerVersion: putMs / versions, sampledReadBack: `${readBack}/${kept.length}` },
        notes: [`${(size / 1024 / 1024).toFixed(2)} MB features.json with ${features.length} features; put ${(putMs / versions).toFixed(2)} ms per version; ${readBack}/${kept.length} sampled versions read back exactly`],
      },
      [readBack === kept.length],
    );
  } finally {
    box.cleanup();
  }
}
