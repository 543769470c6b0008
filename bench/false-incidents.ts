// False incidents (DESIGN.md §11): legitimate writers that write the way droid's runtime, Node and
// Python do, some of them stalled mid-write, against a real `guard watch` while two busy loops
// load both cores. Every write is legitimate, so every incident would be false. Target: 0.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { featureText } from '../src/demo/droid-files.js';
import { createBenchMission, makeFeatures } from './missions.js';
import { result, type BenchResult } from './report.js';
import { ROOT, runTimed, scratch, startWatch, until } from './util.js';

const WRITER = join(ROOT, 'test', 'fixtures', 'slow-writer.mjs');
const REWRITES = 300;

export async function benchFalseIncidents(): Promise<BenchResult> {
  const box = scratch('false-incidents');
  const mission = join(box.dir, 'mission');
  createBenchMission(mission);
  const file = join(mission, 'features.json');
  const features = makeFeatures(20);
  const version = (n: number) => featureText(features.map((feature, index) => (index === 1 ? { ...feature, description: `${'.'.repeat((n * 37) % 400)} v${n}` } : feature)));
  const watching = await startWatch([mission], box.env, (w) => w.lines.some((line) => line.kind === 'baseline'));
  const loops: ChildProcess[] = [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  const writes: Record<string, number> = {};
  let counter = 0;
  const write = async (mode: string, texts: string[], ...args: string[]) => {
    const source = join(box.dir, `source-${counter++}`);
    writeFileSync(source, mode === 'node-trunc' ? (texts[0] as string) : JSON.stringify(texts));
    const ran = await runTimed(process.execPath, [WRITER, mode, file, source, ...args], { env: box.env });
    if (ran.code !== 0) throw new Error(`${mode} writer failed: ${ran.stderr}`);
    writes[mode] = (writes[mode] ?? 0) + texts.length;
  };
  let n = 0;
  try {
    await write('droid', Array.from({ length: REWRITES }, () => version(n++)));
    await write('node-writefile', Array.from({ length: REWRITES }, () => version(n++)));
    for (const stall of [0, 40, 80, 150, 300, 600, 1000, 2000]) await write('node-trunc', [version(n++)], String(stall));
    if (spawnSync('python3', ['--version']).status === 0) {
      const script = join(box.dir, 'dump.py');
      writeFileSync(script, 'import json,sys,time\nclass S:\n  def __init__(s,f): s.f,s.n=f,0\n  def write(s,x):\n    s.f.write(x); s.f.flush(); s.n+=1\n    if s.n%500==0: time.sleep(0.12)\nwith open(sys.argv[1],"w") as f: json.dump(json.load(open(sys.argv[2])), S(f), indent=2)\n');
      for (let round = 0; round < 5; round++) {
        const source = join(box.dir, `py-${round}.json`);
        writeFileSync(source, version(n++));
        const ran = spawnSync('python3', [script, file, source]);
        if (ran.status !== 0) throw new Error(`python writer failed: ${ran.stderr}`);
        writes.python = (writes.python ?? 0) + 1;
      }
    }
    const last = readFileSync(file);
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(last).digest('hex');
    await until(() => watching.lines.some((line) => line.kind === 'write-accepted' && line.digest === digest), 'the last write judged', 60_000);
  } finally {
    for (const loop of loops) loop.kill('SIGKILL');
  }
  const incidents = watching.lines.filter((line) => line.kind === 'write-rejected').length;
  await watching.stop();
  box.cleanup();
  const total = Object.values(writes).reduce((sum, count) => sum + count, 0);
  return result({
    id: 'false incidents under load',
    target: '0 false incidents over legitimate writers, two busy loops on both cores',
    measured: `${incidents} incidents over ${total} legitimate writes (${Object.entries(writes).map(([mode, count]) => `${mode} ${count}`).join(', ')})`,
    baseline: '0',
    ratio: incidents,
    bound: { op: '==', value: 0 },
    details: { incidents, writes },
  });
}
