// Bursts against a real guardian: 10,000 in-place rewrites of features.json (droid's runner
// truncates, then writes) and 1,000 temp+rename writes spread over 100 validator files. The last
// version of every file must be judged (a write-accepted entry with its digest), with no false
// rejection of any of these valid versions.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeLikeTool } from '../src/demo/droid-files.js';
import { digestOf } from '../src/core/types.js';
import { readJournal } from '../src/store/journal.js';
import { missionStatePaths } from '../src/store/paths.js';
import { createBenchMission, featuresBytes, makeFeatures, synthesisText, writeFile } from './missions.js';
import { result, type BenchResult } from './report.js';
import { ms, scratch, startWatch, until, type Watching } from './util.js';

type Line = Watching['lines'][number];

/** What the guardian made of a burst, read from its output and checked against its journal. */
interface BurstOutcome {
  files: number;
  judged: number;
  writeMs: number;
  /** From the last write to the last file's final version being journaled. */
  catchUpMs: number;
  versionsJudged: number;
  rejected: number;
}

// Wait until every path's final digest is accepted; then confirm it in the journal itself.
async function awaitFinals(watching: Watching, missionDir: string, home: string, finals: Map<string, string>, since: number, burstEnd: number): Promise<{ judged: number; catchUpMs: number; versionsJudged: number; rejected: number }> {
  const accepted = (line: Line) => line.kind === 'write-accepted' && finals.get(line.path as string) === line.digest;
  let judgedAt = Number.NaN;
  try {
    await until(
      () => {
        const seen = new Set(watching.lines.slice(since).filter(accepted).map((line) => line.path));
        if (seen.size < finals.size) return false;
        judgedAt = performance.now();
        return true;
      },
      'the final version of every file to be judged',
      30_000,
      1,
    );
  } catch {
    // counted below: a miss is a result, not a crash
  }
  const entries = (await readJournal(missionStatePaths(home, missionDir).journal)).entries;
  const lastAccepted = new Map<string, string | null>();
  let rejected = 0;
  for (const entry of entries) {
    if (entry.kind === 'write-accepted') lastAccepted.set(entry.path, entry.digest);
    if (entry.kind === 'write-rejected' && finals.has(entry.path)) rejected++;
  }
  const judged = [...finals].filter(([path, digest]) => lastAccepted.get(path) === digest).length;
  const versionsJudged = watching.lines.slice(since).filter((line) => line.kind === 'write-accepted' && finals.has(line.path as string)).length;
  return { judged, catchUpMs: judgedAt - burstEnd, versionsJudged, rejected };
}

function rewriteInPlace(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

async function burstOneFile(watching: Watching, mission: string, home: string, rewrites: number): Promise<BurstOutcome> {
  const template = featuresBytes(makeFeatures(20)).toString('utf8');
  const marker = template.indexOf('"description": "') + '"description": "'.length;
  const version = (i: number) => `${template.slice(0, marker)}rev ${i}: ${template.slice(marker)}`;
  const file = join(mission, 'features.json');
  const since = watching.lines.length;
  const start = performance.now();
  for (let i = 1; i <= rewrites; i++) rewriteInPlace(file, version(i));
  const end = performance.now();
  const finals = new Map([['features.json', digestOf(version(rewrites))]]);
  const outcome = await awaitFinals(watching, mission, home, finals, since, end);
  return { files: 1, writeMs: end - start, ...outcome };
}

async function burstManyFiles(watching: Watching, mission: string, home: string, files: number, writes: number): Promise<BurstOutcome> {
  const paths = Array.from({ length: files }, (_, i) => `validation/m${i + 1}/scrutiny/synthesis.json`);
  const since = watching.lines.length;
  const finals = new Map<string, string>();
  const start = performance.now();
  for (let i = 0; i < writes; i++) {
    const path = paths[i % files] as string;
    const text = synthesisText(`m${(i % files) + 1}`, 2 + Math.floor(i / files));
    writeLikeTool(join(mission, path), text);
    finals.set(path, digestOf(text));
  }
  const end = performance.now();
  const outcome = await awaitFinals(watching, mission, home, finals, since, end);
  return { files, writeMs: end - start, ...outcome };
}

function burstRow(id: string, writes: number, outcome: BurstOutcome): BenchResult {
  return result(
    {
      id,
      target: 'last version of every file judged',
      measured: `${outcome.judged}/${outcome.files} final versions judged ${Number.isFinite(outcome.catchUpMs) ? `${ms(outcome.catchUpMs)} after the burst` : '(timed out)'}; ${outcome.rejected} false rejects`,
      baseline: `${writes.toLocaleString('en-US')} writes in ${ms(outcome.writeMs)}`,
      ratio: outcome.judged / outcome.files,
      bound: { op: '==', value: 1 },
      details: { ...outcome, writes },
      notes: [`the guardian judged ${outcome.versionsJudged} of the ${writes.toLocaleString('en-US')} versions as they came; a trailing re-check judged the final one`],
    },
    [outcome.rejected === 0],
  );
}

export async function benchBursts(): Promise<BenchResult[]> {
  const box = scratch('bursts');
  const one = join(box.dir, 'one-file');
  const many = join(box.dir, 'many-files');
  createBenchMission(one);
  createBenchMission(many);
  for (let i = 1; i <= 100; i++) writeFile(join(many, 'validation', `m${i}`, 'scrutiny', 'synthesis.json'), synthesisText(`m${i}`, 1));
  const watching = await startWatch([one, many], box.env, (w) => w.lines.filter((line) => line.kind === 'baseline').length >= 2);
  try {
    const rows: BenchResult[] = [];
    const first = await burstOneFile(watching, one, box.home, 10_000);
    rows.push(burstRow('burst: 10,000 rewrites of 1 file', 10_000, first));
    const second = await burstManyFiles(watching, many, box.home, 100, 1_000);
    rows.push(burstRow('burst: 1,000 writes over 100 files', 1_000, second));
    return rows;
  } finally {
    await watching.stop();
    box.cleanup();
  }
}
