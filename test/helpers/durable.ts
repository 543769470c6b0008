// Helpers for the durable-truth tests (test/durable/): droid's EndFeatureRun writes, progress-log
// lines, and `guard` commands whose --json output is parsed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { JournalEntry } from '../../src/core/entries.js';
import { featureText, type Feature } from '../../src/demo/droid-files.js';
import { withFeature } from './droid.js';
import { acceptedDigest, journal, runGuard, runWriter, until, type RunResult, type Sandbox } from './index.js';

// One progress-log line as droid appends it.
export function progressLine(line: Record<string, unknown>): string {
  return `${JSON.stringify({ timestamp: '2026-11-26T10:00:00.000Z', ...line })}\n`;
}

export function successLine(feature: string, session: string): string {
  return progressLine({ type: 'worker_completed', workerSessionId: session, featureId: feature, successState: 'success', returnToOrchestrator: false, exitCode: 0 });
}

/** The features after a worker finished `id` with success, as droid writes them. */
export function completed(features: Feature[], id: string, session: string): Feature[] {
  const feature = features.find((item) => item.id === id);
  const sessions = feature?.workerSessionIds ?? [];
  return withFeature(features, id, { status: 'completed', currentWorkerSessionId: null, completedWorkerSessionId: session, workerSessionIds: sessions.includes(session) ? sessions : [...sessions, session] });
}

// droid's EndFeatureRun under a running guardian: features.json (in place), then the
// `worker_completed` success line; waits until both are journaled (the line as evidence).
export async function finishFeature(box: Sandbox, features: Feature[], id: string, session: string): Promise<{ features: Feature[]; text: string }> {
  const next = completed(features, id, session);
  const text = featureText(next);
  await runWriter(box, [
    { op: 'write', file: join(box.mission, 'features.json'), text },
    { op: 'append', file: join(box.mission, 'progress_log.jsonl'), text: successLine(id, session) },
  ]);
  await acceptedDigest(box, 'features.json', text);
  await until(() => successFact(box, id, session), `success evidence for ${id} journaled`);
  return { features: next, text };
}

// The journaled `worker-completed` success fact for a feature, if any.
export function successFact(box: Sandbox, feature: string, session: string) {
  for (const entry of journal(box)) {
    if (entry.kind !== 'evidence') continue;
    const fact = entry.facts.find((item) => item.fact === 'worker-completed' && item.feature === feature && item.session === session && item.outcome === 'success');
    if (fact !== undefined) return fact;
  }
  return undefined;
}

// Run `guard ARGS --json` and parse its one JSON document.
export async function guardJson<T>(box: Sandbox, args: string[], expectCode?: number): Promise<{ result: RunResult; doc: T }> {
  const result = await runGuard(box, [...args, '--json']);
  if (expectCode !== undefined) assert.equal(result.code, expectCode, `guard ${args.join(' ')}: ${result.stdout}\n${result.stderr}`);
  let doc: T;
  try {
    doc = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`guard ${args.join(' ')} --json did not print one JSON document (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { result, doc };
}

/** The parts of `guard plan --json` the tests read. */
export interface PlanJson {
  frozen: boolean;
  done: Array<{ id: string; status: string; backing: Array<{ kind: string; session?: string; source?: string; journaled?: boolean; seq?: number }> }>;
  pending: Array<{ id: string; status: string; position: number }>;
  disagreements: Array<{ code: string; severity: string; path: string; feature?: string; message: string; command: string }>;
  finalization: Array<{ id: number; path: string; outcome: string; finalization: boolean }>;
}

/** The parts of `guard verify --json` the tests read. */
export interface VerifyJson {
  consistent: boolean;
  journal: { ok: boolean; entries?: number };
  disagreements: PlanJson['disagreements'];
  warnings: PlanJson['disagreements'];
}

export function plan(box: Sandbox): Promise<PlanJson> {
  return guardJson<PlanJson>(box, ['plan', '--mission', box.mission], 0).then(({ doc }) => doc);
}

// The entries of one kind, typed.
export function entriesOf<K extends JournalEntry['kind']>(box: Sandbox, kind: K): Array<Extract<JournalEntry, { kind: K }>> {
  return journal(box).filter((entry): entry is Extract<JournalEntry, { kind: K }> => entry.kind === kind);
}

// No stack trace and no "internal error": an expected failure explained in words.
export function assertNoStack(result: RunResult): void {
  const output = `${result.stdout}\n${result.stderr}`;
  assert.doesNotMatch(output, /internal error|\n\s+at .+:\d+:\d+/, output);
}
