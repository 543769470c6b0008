// Every --json output, and every --json error, validates against its schema in schemas/cli/.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Ajv } from 'ajv';
import { ENTRY_KINDS } from '../../src/core/entries.js';
import { ERROR_CODES } from '../../src/errors.js';
import { createMission, featureText, writeLikeTool } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, kinds, ROOT, runGuard, sandbox, spawnGuard, stopGuard, until, type Sandbox } from '../helpers/index.js';

const require = createRequire(import.meta.url);
const SCHEMAS = join(ROOT, 'schemas', 'cli');

let box: Sandbox;
let root: string;
let ajv: Ajv;
let watchLines: string[] = [];
let incidentDocs: string[] = [];

const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));

// A missions root with one frozen mission (caught by guard watch --json --on-incident) and one
// healthy one.
before(async () => {
  box = sandbox();
  root = join(box.dir, 'missions');
  box.mission = join(root, 'frozen');
  createMission(box.mission, baseFeatures());
  createMission(join(root, 'healthy'), baseFeatures());
  const docs = join(box.dir, 'incidents.jsonl');
  const guard = spawnGuard(box, ['watch', '--root', root, '--json', '--on-incident', `cat >> '${docs}'`]);
  await until(() => kinds(box, 'baseline').length > 0 && kinds(box, 'baseline', join(root, 'healthy')).length > 0, 'both baselines', 30_000);
  writeLikeTool(join(box.mission, 'features.json'), bad);
  await until(() => kinds(box, 'restored').length === 1, 'the bad write restored');
  await until(() => readFileSync(docs, 'utf8').includes('\n'), 'the incident document', 10_000).catch(() => undefined);
  await stopGuard(guard);
  watchLines = guard.stdout().split('\n').filter((line) => line !== '');
  incidentDocs = readFileSync(docs, 'utf8').split('\n').filter((line) => line !== '');
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  ajv = new AjvClass({ allErrors: true, strict: false });
  for (const file of readdirSync(SCHEMAS)) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')), file);
});

after(() => box.cleanup());

failOnLeakedChildren();

function assertValid(schema: string, doc: unknown, context: string): void {
  const validate = ajv.getSchema(schema);
  assert.ok(validate !== undefined, `schemas/cli/${schema} exists`);
  assert.ok(validate(doc), `${context} does not match schemas/cli/${schema}: ${JSON.stringify(validate.errors, null, 2)}\n${JSON.stringify(doc, null, 2)}`);
}

// Run `guard ARGS --json`, parse stdout as one document, validate it.
async function jsonOf(schema: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; code?: number } = {}): Promise<Record<string, unknown>> {
  const result = await runGuard(box, [...args, '--json'], options);
  if (options.code !== undefined) assert.equal(result.code, options.code, `guard ${args.join(' ')}: ${result.stderr}`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`guard ${args.join(' ')} --json printed no single JSON document:\n${result.stdout}\n${result.stderr}`);
  }
  assertValid(schema, doc, `guard ${args.join(' ')} --json`);
  return doc;
}

describe('JSON contracts (schemas/cli)', () => {
  test('the journal entry schemas list every entry kind', () => {
    for (const file of ['journal-entry.schema.json', 'watch-line.schema.json']) {
      const schema = JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8'));
      assert.deepEqual(schema.properties.kind.enum, [...ENTRY_KINDS], `add the new entry kind to schemas/cli/${file}`);
    }
    const error = JSON.parse(readFileSync(join(SCHEMAS, 'error.schema.json'), 'utf8'));
    assert.deepEqual([...error.properties.error.properties.code.enum].sort(), [...Object.keys(ERROR_CODES), 'INTERNAL'].sort());
  });

  test('guard watch --json lines and the --on-incident document', () => {
    assert.ok(watchLines.length > 0);
    for (const line of watchLines) assertValid('watch-line.schema.json', JSON.parse(line), 'a guard watch --json line');
    assert.ok(watchLines.some((line) => line.includes('"kind":"frozen"') && line.includes('"next":')), 'the FROZEN line names the next commands');
    assert.equal(incidentDocs.length, 1);
    assertValid('incident.schema.json', JSON.parse(incidentDocs[0] as string), 'the --on-incident document');
  });

  test('status, status --root, plan, verify, snapshots, diff, show, log', async () => {
    const m = ['--mission', box.mission];
    await jsonOf('status.schema.json', ['status', ...m], { code: 3 });
    const table = await jsonOf('status-root.schema.json', ['status', '--root', root], { code: 3 });
    assert.equal((table.missions as unknown[]).length, 2, 'one row per mission');
    await jsonOf('plan.schema.json', ['plan', ...m], { code: 0 });
    await jsonOf('verify.schema.json', ['verify', ...m]);
    await jsonOf('snapshots.schema.json', ['snapshots', ...m], { code: 0 });
    await jsonOf('diff.schema.json', ['diff', ...m], { code: 0 });
    await jsonOf('diff.schema.json', ['diff', ...m, 'state.json'], { code: 0 });
    await jsonOf('show.schema.json', ['show', ...m, 'features.json@rejected'], { code: 0 });
    const log = await runGuard(box, ['log', ...m, '--json']);
    for (const line of log.stdout.split('\n').filter((text) => text !== '')) assertValid('journal-entry.schema.json', JSON.parse(line), 'a guard log --json line');
  });

  test('write, restore, repair, export, init, service, ack', async () => {
    const m = ['--mission', box.mission];
    mkdirSync(join(box.dir, 'in'), { recursive: true });
    const badFile = join(box.dir, 'in', 'bad.json');
    writeLikeTool(badFile, bad);
    await jsonOf('write.schema.json', ['write', ...m, 'features.json', '--from', badFile], { code: 1 });
    await jsonOf('restore.schema.json', ['restore', ...m, 'features.json@rejected'], { code: 1 });
    await jsonOf('repair.schema.json', ['repair', ...m, '--journal'], { code: 0 });
    await jsonOf('repair.schema.json', ['repair', ...m, '--reopen', 'f1-login', '--reason', 'contract test', '--yes-i-am-human'], { code: 0 });
    const [rejected] = kinds(box, 'write-rejected');
    await jsonOf('export.schema.json', ['export', ...m, '--incident', String(rejected?.seq), '--out', join(box.dir, 'bundle')], { code: 0 });
    const project = join(box.dir, 'project');
    mkdirSync(project);
    await jsonOf('init.schema.json', ['init', '--claude', '--scope', 'project'], { cwd: project, code: 0 });
    await jsonOf('service.schema.json', ['service', 'status'], { env: { ...box.env, XDG_CONFIG_HOME: join(box.dir, 'xdg') }, code: 1 });
    await jsonOf('ack.schema.json', ['ack', ...m, '--note', 'contract test', '--yes-i-am-human'], { code: 0 });
  });

  test('errors: one JSON document on stdout with a stable code', async () => {
    const missing = await jsonOf('error.schema.json', ['status', '--mission', join(box.dir, 'nope')], { code: 2 });
    assert.equal((missing.error as { code: string }).code, 'MISSION_NOT_FOUND');
    const usage = await jsonOf('error.schema.json', ['log', '--mission', box.mission, '--kind', 'nonsense'], { code: 2 });
    assert.equal((usage.error as { code: string }).code, 'USAGE');
    const parse = await jsonOf('error.schema.json', ['status', '--frozen'], { code: 2 });
    assert.equal((parse.error as { code: string }).code, 'USAGE');
    const notFound = await jsonOf('error.schema.json', ['show', '--mission', box.mission, 'features.json@99999'], { code: 2 });
    assert.equal((notFound.error as { code: string }).code, 'SNAPSHOT_NOT_FOUND');
  });
});
