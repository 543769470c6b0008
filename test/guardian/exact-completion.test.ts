// Exact write completion (the issue of that name): real writers that stall, stream, hold a file
// open or write the way droid's runtime does, against a real `guard watch`. A legitimate write is
// never judged half-written nor lost to a restore; a finished bad write is undone without a timer.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { CAN_PROBE_WRITERS } from '../../src/watch/open-writers.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { acceptedDigest, failOnLeakedChildren, FIXTURES, journal, kinds, sandbox, sha, spawnNode, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
let features: Feature[];

const linuxOnly = CAN_PROBE_WRITERS ? false : 'open-for-writing is read from /proc (Linux); elsewhere the settle window applies';
const featuresFile = () => join(box.mission, 'features.json');
let sourceCounter = 0;

async function startGuard(extra: string[] = []): Promise<void> {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
  guard = await startWatch(box, ['--settle-ms', '50', ...extra]);
}

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

// Run test/fixtures/slow-writer.mjs MODE FILE SOURCE ARGS...; `source` is written to a file first.
function slowWriter(mode: string, file: string, source: string | string[], ...args: Array<string | number>): GuardProcess {
  const sourceFile = join(box.dir, `source-${sourceCounter++}`);
  writeFileSync(sourceFile, typeof source === 'string' ? source : JSON.stringify(source));
  return spawnNode(box, [join(FIXTURES, 'slow-writer.mjs'), mode, file, sourceFile, ...args.map(String)]);
}

async function finished(writer: GuardProcess): Promise<void> {
  const result = await writer.done;
  assert.equal(result.code, 0, result.stderr);
}

function noIncident(): void {
  const bad = journal(box).filter((entry) => entry.kind === 'write-rejected' || entry.kind === 'frozen' || entry.kind === 'restored');
  assert.deepEqual(bad, [], 'no legitimate write may be rejected, restored over or freeze the mission');
  assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
}

// Two processes that keep both cores busy for as long as a test runs.
function busyLoops(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

describe('stalled and streaming writers keep their writes', () => {
  beforeEach(() => startGuard());

  for (const stallMs of [0, 80, 300, 1500]) {
    test(`a writer stalled ${stallMs} ms between open(O_TRUNC) and write: kept, no incident`, async () => {
      const next = featureText(withFeature(features, 'f4-search', { description: `Search, stalled ${stallMs} ms` }));
      await finished(slowWriter('node-trunc', featuresFile(), next, stallMs));
      await acceptedDigest(box, 'features.json', next);
      await settledGuard();
      assert.equal(readFileSync(featuresFile(), 'utf8'), next, 'the writer\'s bytes are on disk');
      noIncident();
    });
  }

  test('Python json.dump streaming a multi-MB features.json with 150 ms pauses: accepted, no incident', { skip: hasPython() ? false : 'python3 is not installed' }, async () => {
    const many: Feature[] = [...features, ...Array.from({ length: 3000 }, (_, n) => ({ id: `extra-${n}`, description: `${'x'.repeat(700)} ${n}`, status: 'pending' as const }))];
    const script = join(box.dir, 'dump.py');
    writeFileSync(
      script,
      [
        'import json, sys, time',
        'class Slow:',
        '    def __init__(self, f): self.f, self.n = f, 0',
        '    def write(self, s):',
        '        self.f.write(s); self.f.flush(); self.n += 1',
        '        if self.n % 4000 == 0: time.sleep(0.15)',
        'doc = json.load(open(sys.argv[2]))',
        'with open(sys.argv[1], "w") as f: json.dump(doc, Slow(f), indent=2)',
      ].join('\n'),
    );
    const source = join(box.dir, 'many.json');
    writeFileSync(source, JSON.stringify({ features: many }));
    const result = spawnSync('python3', [script, featuresFile(), source], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const written = readFileSync(featuresFile());
    assert.ok(written.length > 2_000_000, 'a multi-MB file');
    await acceptedDigest(box, 'features.json', written);
    await settledGuard();
    assert.equal(readFileSync(featuresFile()).equals(written), true);
    noIncident();
  });
});

describe('writers under load (two busy loops on both cores)', () => {
  let loops: ChildProcess[] = [];
  before(() => {
    loops = busyLoops();
  });
  after(() => {
    for (const loop of loops) loop.kill('SIGKILL');
  });
  beforeEach(() => startGuard());

  // 200+ legitimate rewrites whose lengths go up and down (a shorter one leaves the old tail for
  // droid's runtime to ftruncate away).
  const rewrites = () => Array.from({ length: 220 }, (_, n) => featureText(withFeature(features, 'f4-search', { description: `Search ${'.'.repeat((n * 37) % 300)} v${n}` })));

  for (const mode of ['droid', 'node-writefile']) {
    test(`${mode === 'droid' ? "droid's runtime (no O_TRUNC, write, ftruncate)" : "Node's fs.promises.writeFile"}: 220 rewrites, no incident`, async () => {
      const texts = rewrites();
      await finished(slowWriter(mode, featuresFile(), texts));
      const last = texts.at(-1) as string;
      await acceptedDigest(box, 'features.json', last, box.mission);
      await settledGuard();
      assert.equal(readFileSync(featuresFile(), 'utf8'), last);
      noIncident();
    });
  }
});

describe('a writer holding a bad version open', { skip: linuxOnly }, () => {
  test('a torn file held open 2 s is not replaced while open; after the close it is restored and frozen', async () => {
    await startGuard();
    const good = readFileSync(featuresFile());
    const torn = featureText(features).slice(0, 120);
    const writer = slowWriter('hold', featuresFile(), torn, 2000);
    await until(() => writer.stdout().includes('open'), 'the writer holding the file');
    while (!writer.stdout().includes('done')) {
      assert.equal(readFileSync(featuresFile(), 'utf8'), torn, 'the held file is never replaced under its writer');
      assert.equal(kinds(box, 'restored').length, 0);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await finished(writer);
    await until(() => kinds(box, 'restored')[0], 'restored after the close');
    assert.equal(readFileSync(featuresFile()).equals(good), true, 'last good is back');
    assert.ok(existsSync(join(box.mission, '.guard-frozen')), 'the mission is frozen');
    const rejected = kinds(box, 'write-rejected');
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0]?.kind === 'write-rejected' && rejected[0].digest === sha(torn));
  });

  test('a writer that never closes a torn file: acted on after the bound, and the incident says why', async () => {
    await startGuard(['--stuck-ms', '1500']);
    const good = readFileSync(featuresFile());
    const writer = slowWriter('hold', featuresFile(), '{"features": [', 600_000);
    await until(() => writer.stdout().includes('open'), 'the writer holding the file');
    const rejected = await until(() => kinds(box, 'write-rejected')[0], 'rejected after the bound', 20_000);
    assert.ok(rejected.kind === 'write-rejected');
    const stuck = rejected.issues.find((issue) => issue.code === 'stuck-writer');
    assert.ok(stuck !== undefined, 'the incident names the stuck writer');
    assert.match(stuck.message, new RegExp(`process ${writer.process.pid} kept the file open for writing`));
    await until(() => kinds(box, 'restored')[0], 'restored');
    assert.equal(readFileSync(featuresFile()).equals(good), true);
    writer.process.kill('SIGKILL');
    await writer.done;
  });
});

describe('a finished bad write waits for no timer', { skip: linuxOnly }, () => {
  test('with a 60 s settle window, a complete features.json that reopens completed work is undone at once', async () => {
    await startGuard(['--settle-ms', '60000']);
    const good = readFileSync(featuresFile());
    const bad = featureText(withFeature(features, 'f1-login', { status: 'pending' }));
    writeFileSync(featuresFile(), bad);
    // Far inside the 60 s window: only completion from facts can have acted.
    await until(() => kinds(box, 'restored')[0], 'restored', 20_000);
    assert.equal(readFileSync(featuresFile()).equals(good), true);
    assert.ok(existsSync(join(box.mission, '.guard-frozen')));
  });
});

describe('append-only logs keep their valid lines', () => {
  test('a success line and a torn line appended together: the success line stays and is journaled, only the torn tail goes', async () => {
    await startGuard();
    const log = join(box.mission, 'progress_log.jsonl');
    const before = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const success = `${JSON.stringify({ type: 'worker_completed', timestamp: new Date().toISOString(), workerSessionId: 'w3', featureId: 'f3-profile', successState: 'success', returnToOrchestrator: false, exitCode: 0 })}\n`;
    const torn = '{"type":"worker_started","timest';
    writeFileSync(log, `${before}${success}${torn}`);
    await until(() => kinds(box, 'restored')[0], 'the torn tail removed');
    assert.equal(readFileSync(log, 'utf8'), `${before}${success}`, 'the valid line stays, the torn tail is gone');
    const facts = kinds(box, 'evidence').flatMap((entry) => (entry.kind === 'evidence' ? entry.facts : []));
    assert.ok(facts.some((fact) => fact.fact === 'worker-completed' && fact.feature === 'f3-profile' && fact.outcome === 'success'), 'its evidence is journaled');
    const rejected = kinds(box, 'write-rejected')[0];
    assert.ok(rejected?.kind === 'write-rejected' && rejected.digest === sha(`${before}${success}${torn}`), 'the whole bad version is quarantined');
  });
});

function hasPython(): boolean {
  return spawnSync('python3', ['--version']).status === 0;
}

// The guardian has judged whatever is on disk now: the journal's last good for features.json
// is the file's digest or an incident is journaled.
async function settledGuard(): Promise<boolean> {
  await until(() => {
    const digest = sha(readFileSync(featuresFile()));
    return journal(box).some((entry) => (entry.kind === 'write-accepted' && entry.path === 'features.json' && entry.digest === digest) || entry.kind === 'write-rejected');
  }, 'the guardian caught up');
  return true;
}
