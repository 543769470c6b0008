// The adapter contract, run against every built-in orchestrator (droid, Task Master, generic):
// what the guardian, the hook and the CLI rely on when they ask a mission's adapter instead of
// branching on its name. A new adapter gets these tests by being listed in ORCHESTRATORS and
// giving a fixture below.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { asMissionPath } from '../../src/core/types.js';
import { GUARD_MATCHERS } from '../../src/install/hook-entries.js';
import { TOOL_GATES } from '../../src/orchestrators/gates.js';
import { ORCHESTRATORS, orchestratorAt, type OrchestratorName } from '../../src/orchestrators/index.js';
import { loadBuiltInProfile, loadProfileFile, matchArtifact, type Profile } from '../../src/profiles/profile.js';

/** Per adapter: a mission dir's name, a sample of its state files, its writers' transient names, a tool its gate covers. */
interface Fixture {
  dirName: string;
  files: Record<string, string>;
  transient: string[];
  tool?: string;
}

const FIXTURES: Record<OrchestratorName, Fixture> = {
  droid: {
    dirName: 'a1b2c3d4-mission',
    files: { 'features.json': '{"features":[]}\n', 'state.json': '{"state":"running","missionId":"m"}\n', 'progress_log.jsonl': '' },
    transient: [],
  },
  taskmaster: {
    dirName: '.taskmaster',
    files: { 'tasks/tasks.json': '{"master":{"tasks":[],"metadata":{}}}\n', 'state.json': '{"currentTag":"master"}\n', 'config.json': '{}\n' },
    transient: ['tasks/tasks.json.tmp.4242', 'tasks/.tasks.json.tmp', 'tasks/tasks.json.lock', 'tasks/tasks.json.lock/anything'],
    tool: 'mcp__task-master-ai__set_task_status',
  },
  generic: {
    dirName: 'plan-mission',
    files: { 'guard.config.json': JSON.stringify({ artifacts: [{ glob: 'plan.json', role: 'scheduling' }] }), 'plan.json': '{}\n' },
    transient: [],
  },
};

const root = mkdtempSync(join(tmpdir(), 'guard-adapter-contract-'));
after(() => rmSync(root, { recursive: true, force: true }));

function missionOf(name: OrchestratorName, files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(root, `${name}-`)), FIXTURES[name].dirName);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function profileOf(name: OrchestratorName, dir: string): Profile {
  return name === 'generic' ? loadProfileFile(join(dir, 'guard.config.json'), 'contract config') : loadBuiltInProfile(name);
}

const SAMPLE_DOCS: unknown[] = [undefined, null, 0, 'text', [], {}, [null, 3], [{ line: 1, value: {} }], { features: null, tasks: 'x', assertions: [] }];

for (const [name, orchestrator] of Object.entries(ORCHESTRATORS) as Array<[OrchestratorName, (typeof ORCHESTRATORS)[OrchestratorName]]>) {
  const fixture = FIXTURES[name];
  describe(`adapter contract: ${name}`, () => {
    test('it is registered under its own name, with a title and words for its items', () => {
      assert.equal(orchestrator.name, name);
      assert.ok(orchestrator.title.length > 0);
      assert.ok(orchestrator.vocabulary.item.length > 0 && orchestrator.vocabulary.items.length > 0);
    });

    test('its built-in profile (if any) loads and is bound to it; a user config never is', () => {
      const dir = missionOf(name, fixture.files);
      const profile = profileOf(name, dir);
      assert.equal(profile.orchestrator, name);
      assert.ok(profile.artifacts.length > 0);
      if (orchestrator.profileFile === undefined) assert.equal(name, 'generic', 'only the generic adapter is served by user configs');
    });

    test('a dir holding its state files is its mission dir; an empty dir is not', () => {
      const dir = missionOf(name, fixture.files);
      assert.equal(orchestrator.missionDirOf(dir), dir);
      if (name !== 'generic') assert.equal(orchestratorAt(dir)?.name, name, 'detected as its own, not another built-in orchestrator');
      const empty = mkdtempSync(join(root, 'empty-'));
      assert.equal(orchestrator.missionDirOf(empty), undefined);
      for (const marker of orchestrator.markers) assert.equal(orchestrator.isTransient(marker), false, `marker ${marker} is never transient`);
      if (orchestrator.missionsRoot !== undefined) {
        const missionsRoot = orchestrator.missionsRoot({ home: root, env: {} });
        assert.ok(missionsRoot.startsWith(root), 'its missions root is under the home it is given');
        const inRoot = join(missionsRoot, fixture.dirName);
        for (const [path, text] of Object.entries(fixture.files)) {
          mkdirSync(join(inRoot, path, '..'), { recursive: true });
          writeFileSync(join(inRoot, path), text);
        }
        assert.equal(orchestrator.missionDirOf(inRoot), inRoot, 'a mission dir under its root is found');
      }
    });

    test('its writers\' temp and lock files are transient and never matched as artifacts; its state files are artifacts', () => {
      const dir = missionOf(name, fixture.files);
      const profile = profileOf(name, dir);
      for (const path of fixture.transient) {
        assert.equal(orchestrator.isTransient(path), true, path);
        assert.equal(matchArtifact(profile, asMissionPath(path) as never), undefined, `${path} is not an artifact`);
      }
      for (const path of Object.keys(fixture.files).filter((path) => path !== 'guard.config.json')) {
        assert.equal(orchestrator.isTransient(path), false, path);
        assert.notEqual(matchArtifact(profile, asMissionPath(path) as never), undefined, `${path} is an artifact`);
      }
    });

    test('evidence facts are a pure function that never throws, whatever the documents hold', () => {
      const dir = missionOf(name, fixture.files);
      const paths = [...Object.keys(fixture.files), ...profileOf(name, dir).artifacts.map((artifact) => artifact.glob)];
      for (const path of paths) for (const previous of SAMPLE_DOCS) for (const doc of SAMPLE_DOCS) assert.ok(Array.isArray(orchestrator.evidenceFacts(path, previous, doc)));
    });

    test('every pause write targets an artifact, is idempotent, and leaves the scheduler paused', () => {
      const dir = missionOf(name, fixture.files);
      const profile = profileOf(name, dir);
      const now = new Date('2026-01-01T00:00:00.000Z');
      for (const write of orchestrator.pause.writes) {
        const spec = matchArtifact(profile, asMissionPath(write.path) as never);
        assert.ok(spec !== undefined && spec.role !== 'tracked', `${write.path} is a judged artifact`);
        const good = Buffer.from(fixture.files[write.path] ?? '');
        const doc = spec.format === 'jsonl' ? [] : JSON.parse(good.toString('utf8') || 'null');
        const once = write.make(doc, good, 'contract', now);
        assert.ok(once !== undefined, `${write.path}: pausing a running mission writes something`);
        const again = write.make(spec.format === 'jsonl' ? [] : JSON.parse(once), Buffer.from(once), 'contract', now);
        assert.equal(again, undefined, `${write.path}: a second pause writes nothing`);
        if (spec.format === 'json') assert.equal(orchestrator.isUnpaused(write.path, JSON.parse(once)), false, 'its own pause is not an unpause');
      }
    });

    test('something holds its scheduler while frozen: pause writes, a hook gate, or (generic) the sentinel alone', () => {
      const { writes, gate, summary } = orchestrator.pause;
      assert.ok(summary.length > 0);
      assert.ok(writes.length > 0 || gate !== undefined || name === 'generic');
      assert.equal(TOOL_GATES.find((entry) => entry.name === name)?.gate, gate, 'the hook\'s fast gate list holds exactly the adapter\'s gate');
      if (gate === undefined) return;
      assert.ok(fixture.tool !== undefined, 'a gated adapter names a sample tool');
      assert.equal(gate.matchesTool(fixture.tool), true);
      assert.match(fixture.tool, new RegExp(gate.claudeMatcher));
      assert.ok(GUARD_MATCHERS.claude.includes(gate.claudeMatcher), 'guard init --claude installs its matcher');
      for (const tool of ['Write', 'Bash', 'Edit', 'mcp__github__create_issue']) assert.equal(gate.matchesTool(tool), false, tool);
    });

    test('a summary reader (if any) reads its summary file as groups of items and never throws', () => {
      const reader = orchestrator.summary;
      if (reader === undefined) return;
      const dir = missionOf(name, fixture.files);
      assert.notEqual(matchArtifact(profileOf(name, dir), asMissionPath(reader.path) as never), undefined, 'the summary is an artifact');
      const text = fixture.files[reader.path];
      assert.ok(text !== undefined, 'the fixture holds the summary');
      assert.ok(Array.isArray(reader.read(JSON.parse(text))));
      for (const doc of SAMPLE_DOCS) reader.read(doc);
    });
  });
}
