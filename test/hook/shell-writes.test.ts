// Which files a shell command writes: the hook denies these when they are mission artifacts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitCommands } from '../../src/hook/shell-words.js';
import { shellWrites } from '../../src/hook/shell-writes.js';

const context = { cwd: '/m', home: '/home/u' };
const targets = (command: string) => shellWrites(command, context).map((write) => `${write.how}: ${write.path}`);

describe('splitCommands', () => {
  test('words, quotes, separators and redirections', () => {
    assert.deepEqual(splitCommands(`echo 'a b' "c d"e > out.txt; cat x 2>&1 | tee -a log && ls>>l`), [
      { words: ['echo', 'a b', 'c de'], redirects: [{ op: '>', target: 'out.txt' }] },
      { words: ['cat', 'x'], redirects: [{ op: '>&', target: '1' }] },
      { words: ['tee', '-a', 'log'], redirects: [] },
      { words: ['ls'], redirects: [{ op: '>>', target: 'l' }] },
    ]);
  });

  test('here-document bodies are data, command substitutions are read', () => {
    const commands = splitCommands(`cat > f.json <<'EOF'\n{"a": "b > c; rm x"}\nEOF\necho "$(tee g.json < x)" # > not-a-file`);
    assert.deepEqual(commands, [
      { words: ['cat'], redirects: [{ op: '>', target: 'f.json' }] },
      { words: ['tee', 'g.json'], redirects: [{ op: '<', target: 'x' }] },
      { words: ['echo', '$(tee g.json < x)'], redirects: [] },
    ]);
  });
});

describe('shellWrites', () => {
  test('redirections and tee write; fd duplications and /dev/null do not', () => {
    assert.deepEqual(targets('echo {} > features.json'), ['> redirection: /m/features.json']);
    assert.deepEqual(targets('echo x >>/abs/progress_log.jsonl'), ['>> redirection: /abs/progress_log.jsonl']);
    assert.deepEqual(targets('jq . a.json | tee features.json >/dev/null 2>&1'), ['tee: /m/features.json']);
    assert.deepEqual(targets('cmd &> out.log 2>&1 >&2'), ['&> redirection: /m/out.log']);
  });

  test('reading commands write nothing', () => {
    assert.deepEqual(targets(`cat features.json`), []);
    assert.deepEqual(targets(`jq '.features[] | select(.status == "pending")' features.json`), []);
    assert.deepEqual(targets(`grep -r completed . | head -5; sed -n 1,5p features.json`), []);
  });

  test('cp, mv, install and ln write their destination; mv also removes its sources', () => {
    assert.deepEqual(targets('jq . f > /tmp/x && mv /tmp/x features.json'), ['> redirection: /tmp/x', 'mv: /m/features.json', 'mv (source): /tmp/x']);
    assert.deepEqual(targets('cp -f backup.json ~/missions/abc/features.json'), ['cp: /home/u/missions/abc/features.json']);
    assert.deepEqual(targets('cp -t /m2 a b'), ['cp: /m2']);
    assert.deepEqual(shellWrites('cp a b dir/', context)[0]?.sources, ['/m/a', '/m/b']);
    assert.deepEqual(targets('install -m 644 x state.json'), ['install: /m/state.json']);
    assert.deepEqual(targets('ln -sf elsewhere.json features.json'), ['ln: /m/features.json']);
  });

  test('in-place editors, deletion and truncation', () => {
    assert.deepEqual(targets(`sed -i 's/completed/pending/' features.json`), ['sed -i: /m/features.json']);
    assert.deepEqual(targets(`sed -E -i.bak -e 's/a/b/' -e 's/c/d/' a.json b.json`), ['sed -i: /m/a.json', 'sed -i: /m/b.json']);
    assert.deepEqual(targets(`sed -ne 's/a/b/p' features.json`), []);
    assert.deepEqual(targets(`perl -pi -e 's/a/b/' features.json`), ['perl -i: /m/features.json']);
    assert.deepEqual(targets(`awk -i inplace '{print}' features.json`), ['awk -i inplace: /m/features.json']);
    assert.deepEqual(targets('rm -rf handoffs features.json'), ['rm: /m/handoffs', 'rm: /m/features.json']);
    assert.equal(shellWrites('rm x', context)[0]?.removes, true);
    assert.deepEqual(targets('truncate -s 0 features.json'), ['truncate: /m/features.json']);
    assert.deepEqual(targets('dd if=/dev/zero of=state.json bs=1 count=0'), ['dd of=: /m/state.json']);
  });

  test('cd, wrappers, assignments, nested shells and substitutions are followed', () => {
    assert.deepEqual(targets('cd /other && echo x > features.json'), ['> redirection: /other/features.json']);
    assert.deepEqual(targets('FOO=1 sudo tee features.json < x'), ['tee: /m/features.json']);
    assert.deepEqual(targets(`bash -c 'echo {} > features.json'`), ['> redirection: /m/features.json']);
    assert.deepEqual(targets('echo "$(cat a > features.json)"'), ['> redirection: /m/features.json']);
    assert.deepEqual(targets('timeout 5 rm $HOME/x'), ['rm: /home/u/x']);
  });
});
