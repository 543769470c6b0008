// "When is a version final?": the decision table, and the /proc probe against real processes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { ArtifactSpec } from '../../src/core/judge.js';
import { decideCompletion, isComplete, type CompletionLimits } from '../../src/watch/completion.js';
import { CAN_PROBE_WRITERS, probeWriters } from '../../src/watch/open-writers.js';
import { ROOT, sandbox, until, type Sandbox } from '../helpers/index.js';

const limits: CompletionLimits = { debounceMs: 50, settleMs: 50, stuckMs: 10_000 };
const none = { kind: 'none', processes: 10, fds: 40 } as const;
const held = { kind: 'held', pid: 42, processes: 1, fds: 4 } as const;
const json: ArtifactSpec = { glob: 'features.json', role: 'scheduling', format: 'json', maxBytes: 1 << 20, maxDepth: 64, rules: [] };
const log: ArtifactSpec = { ...json, glob: 'progress_log.jsonl', format: 'jsonl' };

describe('decideCompletion', () => {
  test('a complete version nobody writes is final at once, however recent the last event', () => {
    assert.deepEqual(decideCompletion({ complete: true, writers: () => none, quietMs: 0, seenMs: 0 }, limits), { kind: 'final' });
  });

  test('an incomplete version nobody writes waits for the debounce, then is final', () => {
    const unprobed = () => assert.fail('no probe is needed for a version cut short that is not quiet yet');
    assert.deepEqual(decideCompletion({ complete: false, writers: unprobed, quietMs: 10, seenMs: 10 }, limits), { kind: 'wait', recheckMs: 40, why: 'debounce' });
    assert.deepEqual(decideCompletion({ complete: false, writers: () => none, quietMs: 50, seenMs: 50, clearMs: 50 }, limits), { kind: 'final' });
  });

  // `open(O_TRUNC)` empties the file before the fd shows in /proc: one probe that finds nobody
  // does not make a version cut short final; a second one a debounce later, with no event between, does.
  test('an incomplete version: the first probe that finds nobody is confirmed a debounce later', () => {
    assert.deepEqual(decideCompletion({ complete: false, writers: () => none, quietMs: 50, seenMs: 50 }, limits), { kind: 'wait', recheckMs: 50, why: 'confirm' });
    assert.deepEqual(decideCompletion({ complete: false, writers: () => none, quietMs: 80, seenMs: 80, clearMs: 30 }, limits), { kind: 'wait', recheckMs: 20, why: 'confirm' });
    assert.deepEqual(decideCompletion({ complete: false, writers: () => held, quietMs: 100, seenMs: 100, clearMs: 50 }, limits).kind, 'wait');
    // A complete document needs no confirmation.
    assert.deepEqual(decideCompletion({ complete: true, writers: () => none, quietMs: 0, seenMs: 0 }, limits), { kind: 'final' });
  });

  // The same hole, wider: a writer preempted inside `open(O_TRUNC)` for longer than a debounce
  // (a load of 10-17 on 2 cores) leaves an EMPTY file nobody seems to hold. Only an empty or
  // missing version can come from there; it needs a second clear second, a torn one does not.
  test('an empty or missing version is confirmed over a second, a torn non-empty one over a debounce', () => {
    assert.deepEqual(decideCompletion({ complete: false, empty: true, writers: () => none, quietMs: 200, seenMs: 200, clearMs: 60 }, limits), { kind: 'wait', recheckMs: 940, why: 'confirm' });
    assert.deepEqual(decideCompletion({ complete: false, empty: true, writers: () => none, quietMs: 1100, seenMs: 1100, clearMs: 1000 }, limits), { kind: 'final' });
    assert.deepEqual(decideCompletion({ complete: false, empty: false, writers: () => none, quietMs: 200, seenMs: 200, clearMs: 60 }, limits), { kind: 'final' });
    assert.deepEqual(decideCompletion({ complete: false, empty: true, writers: () => none, quietMs: 200, seenMs: 200, clearMs: 60 }, { ...limits, emptyConfirmMs: 50 }), { kind: 'final' });
  });

  test('any version a writer holds open waits, complete or not, re-probed soon', () => {
    for (const complete of [true, false]) {
      const decision = decideCompletion({ complete, writers: () => held, quietMs: 5000, seenMs: 2000 }, limits);
      assert.equal(decision.kind, 'wait');
      assert.ok(decision.kind === 'wait' && decision.why === 'writer' && decision.recheckMs <= 50 && decision.recheckMs >= 1);
    }
  });

  test('a writer holding a version past the bound is stuck: final, and says who', () => {
    assert.deepEqual(decideCompletion({ complete: false, writers: () => held, quietMs: 10_000, seenMs: 10_000 }, limits), { kind: 'final', stuck: { pid: 42, heldMs: 10_000 } });
  });

  test('without /proc, a settle window: quiet long enough, or wait the rest', () => {
    const unknown = { kind: 'unknown' } as const;
    assert.deepEqual(decideCompletion({ complete: true, writers: () => unknown, quietMs: 20, seenMs: 20 }, limits), { kind: 'wait', recheckMs: 30, why: 'settle' });
    assert.deepEqual(decideCompletion({ complete: false, writers: () => unknown, quietMs: 60, seenMs: 60 }, limits), { kind: 'final' });
  });
});

describe('isComplete', () => {
  const parse = [{ code: 'parse', pointer: '', message: 'not valid JSON' }] as const;
  const rule = [{ code: 'terminal-status', pointer: '/features/0/status', message: 'completed is final' }] as const;
  test('a JSON document that parses is complete even when it breaks a rule', () => {
    assert.equal(isComplete(json, Buffer.from('{"features":[]}'), [...rule]), true);
  });
  test('empty, cut short or unparsable is incomplete; so is a deletion', () => {
    assert.equal(isComplete(json, Buffer.from('{"feat'), [...parse]), false);
    assert.equal(isComplete(json, Buffer.alloc(0), [{ code: 'empty', pointer: '', message: 'file is empty' }]), false);
    assert.equal(isComplete(json, null, [{ code: 'deleted', pointer: '', message: 'deleted' }]), false);
  });
  test('JSON Lines are complete only when they end with a newline', () => {
    assert.equal(isComplete(log, Buffer.from('{"a":1}\n'), [...rule]), true);
    assert.equal(isComplete(log, Buffer.from('{"a":1}\n{"b"'), [...parse]), false);
    assert.equal(isComplete(log, Buffer.from('{"a":1}'), [...rule]), false);
    assert.equal(isComplete(log, Buffer.alloc(0), [...rule]), false);
  });
});

describe('probeWriters (Linux /proc)', { skip: CAN_PROBE_WRITERS ? false : 'no /proc fdinfo on this platform: the settle window applies' }, () => {
  let box: Sandbox;
  afterEach(() => box.cleanup());

  test('sees a process holding the file open for writing, and not one holding it read-only', async () => {
    box = sandbox();
    const file = join(box.dir, 'features.json');
    writeFileSync(file, '{}');
    assert.equal(probeWriters(file).kind, 'none');
    for (const [mode, expected] of [['<', 'none'], ['<>', 'held'], ['>>', 'held']] as const) {
      const holder = spawn('sh', ['-c', `exec 3${mode}"$1"; echo open; read line`, 'sh', file], { stdio: ['pipe', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const probe = probeWriters(file);
      assert.equal(probe.kind, expected, `fd opened with ${mode}`);
      if (probe.kind === 'held') assert.equal(probe.pid, holder.pid);
      holder.stdin.end('\n');
      await new Promise((resolve) => holder.once('exit', resolve));
      await until(() => probeWriters(file).kind === 'none', 'the holder gone');
    }
  });

  test('its own fds do not count, and a missing file has no writer', () => {
    box = sandbox();
    const file = join(box.dir, 'state.json');
    writeFileSync(file, '{}');
    const fd = openSync(file, 'r+');
    try {
      assert.equal(probeWriters(file).kind, 'none');
    } finally {
      closeSync(fd);
    }
    assert.equal(probeWriters(join(box.dir, 'missing.json')).kind, 'none');
  });

  // Root reads every fd table; a guard running as the mission's owner reads only its own user's
  // and passes over the others with one stat each (no failed read). It must still see its own.
  const canDropPrivileges = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
  test('as an unprivileged uid: other users\' processes are passed over, its own writer is still seen', { skip: canDropPrivileges ? false : 'needs root and setpriv to run as an unprivileged uid' }, async () => {
    box = sandbox();
    chmodSync(box.dir, 0o777);
    const file = join(box.dir, 'features.json');
    writeFileSync(file, '{}');
    chmodSync(file, 0o666);
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const script = `import('${join(ROOT, 'dist', 'src', 'watch', 'open-writers.js')}').then((m) => console.log(JSON.stringify(m.probeWriters(process.argv[1]))))`;
    const probeAsNobody = () => JSON.parse(spawnSync('setpriv', [...asNobody, process.execPath, '-e', script, file], { encoding: 'utf8' }).stdout) as { kind: string; pid?: number; skipped?: number };
    const before = probeAsNobody();
    assert.equal(before.kind, 'none');
    assert.ok((before.skipped ?? 0) > 0, 'root\'s processes were passed over');
    const holder = spawn('setpriv', [...asNobody, 'sh', '-c', `exec 3>>"$1"; echo open; read line`, 'sh', file], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const probe = probeAsNobody();
      assert.equal(probe.kind, 'held');
      assert.equal(probe.pid, holder.pid, 'setpriv execs the shell: same pid');
    } finally {
      holder.stdin.end('\n');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
  });
});
