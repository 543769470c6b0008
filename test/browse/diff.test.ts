// Unit tests of the pure feature-level and text diff (src/core/diff.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffFeatures, diffVersions, isEmptyFeatureDiff, type StatusSelector } from '../../src/core/diff.js';
import { featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';

const selector: StatusSelector = { items: '/features', key: 'id', bareArray: true, status: 'status' };
const bytes = (text: string) => Buffer.from(text);

describe('diffFeatures', () => {
  test('status changes, additions, removals and edits, in document order', () => {
    const before = { features: baseFeatures() };
    const changed = withFeature(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }), 'f3-profile', { description: 'Profile page v2' });
    const after = { features: [...changed.filter((feature) => feature.id !== 'f2-logout'), { id: 'f5-export', description: 'Export', status: 'pending' }] };
    assert.deepEqual(diffFeatures(selector, before, after), {
      changed: [{ id: 'f1-login', from: 'completed', to: 'pending' }],
      added: [{ id: 'f5-export', status: 'pending' }],
      removed: [{ id: 'f2-logout', status: 'completed' }],
      edited: [{ id: 'f3-profile', fields: ['description'] }],
    });
  });

  test('reordering and key order are not changes', () => {
    const before = { features: baseFeatures() };
    const after = { features: [...baseFeatures()].reverse().map((feature) => Object.fromEntries(Object.entries(feature).reverse())) };
    const diff = diffFeatures(selector, before, after);
    assert.equal(isEmptyFeatureDiff(diff), true, JSON.stringify(diff));
  });

  test('a bare array document and a missing status', () => {
    const diff = diffFeatures(selector, [{ id: 'a', status: 'pending' }], [{ id: 'a' }]);
    assert.deepEqual(diff.changed, [{ id: 'a', from: 'pending', to: null }]);
  });
});

describe('diffVersions', () => {
  test('feature summary plus a unified patch with the given labels', () => {
    const good = featureText(baseFeatures());
    const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
    const diff = diffVersions({ label: 'features.json@7', header: 'last good', bytes: bytes(good) }, { label: 'features.json@9', header: 'rejected', bytes: bytes(bad) }, { format: 'json', statusItems: selector });
    assert.equal(diff.identical, false);
    assert.deepEqual(diff.invalid, []);
    assert.deepEqual(diff.features?.changed, [{ id: 'f1-login', from: 'completed', to: 'pending' }]);
    assert.match(diff.patch, /^--- features\.json@7\tlast good\n\+\+\+ features\.json@9\trejected\n@@ /);
    assert.match(diff.patch, /\n-\s+"status": "completed",\n\+\s+"status": "pending",\n/);
    assert.equal(diff.patch.includes('Index:'), false);
  });

  test('invalid JSON on one side: reported, no feature summary, the text diff still there', () => {
    const good = featureText(baseFeatures());
    const torn = good.slice(0, good.length / 2);
    const diff = diffVersions({ label: 'a', bytes: bytes(good) }, { label: 'b', bytes: bytes(torn) }, { format: 'json', statusItems: selector });
    assert.equal(diff.features, null);
    assert.equal(diff.invalid.length, 1);
    assert.equal(diff.invalid[0]?.side, 'b');
    assert.match(diff.invalid[0]?.message ?? '', /not valid JSON/);
    assert.match(diff.patch, /^\+\+\+ b/m);
  });

  test('invalid UTF-8 and empty files are reasons, not crashes', () => {
    const diff = diffVersions({ label: 'a', bytes: Buffer.from([0xff, 0xfe]) }, { label: 'b', bytes: Buffer.alloc(0) }, { format: 'json', statusItems: selector });
    assert.deepEqual(diff.invalid.map((side) => side.side), ['a', 'b']);
    assert.equal(diff.features, null);
  });

  test('identical versions have no patch; JSON Lines gets no parse check', () => {
    const line = bytes('{"type":"mission_accepted"}\n');
    assert.deepEqual(diffVersions({ label: 'a', bytes: line }, { label: 'b', bytes: line }, { format: 'jsonl' }), { identical: true, features: null, invalid: [], patch: '', tooLarge: false });
    const grown = diffVersions({ label: 'a', bytes: line }, { label: 'b', bytes: Buffer.concat([line, bytes('{"type":"x"}\n')]) }, { format: 'jsonl' });
    assert.deepEqual(grown.invalid, []);
    assert.match(grown.patch, /^\+\{"type":"x"\}$/m);
  });
});
