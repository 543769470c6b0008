// `guard repair --rebuild features.json` (issue "durable truth" item 6): a summary consistent with
// durable truth. Start from last good, give every feature the journal or a worker's success
// says is done its done status back, bring back done features that went missing (from the newest
// journaled version that still had them), and keep droid's order rules: done features go to the
// bottom, everything else keeps its place. A done feature that no stored version holds at all
// (its only accepted version was overwritten before the guard read it) is written from durable
// truth alone: id, done status, the evidence as its description, and the fields the
// orchestrator's adapter names for the worker session that did it. Pure.
import { describe, type DoneFeature } from './plan.js';
import type { StatusSelector } from './types.js';
import { isRecord, valueAt } from './pointer.js';

export interface RebuildInput {
  selector: StatusSelector;
  /** The document to start from (last good, else the newest readable version). */
  base: unknown;
  done: readonly DoneFeature[];
  /** Feature objects, by id, from older versions: used for done features missing from `base`. */
  recovered: ReadonlyMap<string, Record<string, unknown>>;
  /** The orchestrator's fields for an item done by a worker session (droid: its session ids). */
  workerFields?: (session: string) => Record<string, unknown>;
}

export interface Rebuilt {
  doc: unknown;
  /** Done features whose status was put back. */
  restored: string[];
  /** Done features brought back from an older version. */
  recovered: string[];
  /** Done features no stored version holds, written from durable truth alone. */
  synthesized: string[];
  /** Done features that could not be brought back (the summary has no item list). */
  lost: string[];
}

export function rebuildSummary(input: RebuildInput): Rebuilt {
  const { selector, done } = input;
  const doc = structuredClone(input.base) as unknown;
  const list = Array.isArray(doc) ? doc : (valueAt(doc, selector.items) as unknown[] | undefined);
  if (!Array.isArray(list)) return { doc, restored: [], recovered: [], synthesized: [], lost: done.map((feature) => feature.id) };
  const result: Rebuilt = { doc, restored: [], recovered: [], synthesized: [], lost: [] };
  const moved: Record<string, unknown>[] = [];
  for (const feature of done) {
    const index = list.findIndex((item) => isRecord(item) && item[selector.key] === feature.id);
    if (index !== -1) {
      const item = list[index] as Record<string, unknown>;
      if (item[selector.status] === feature.status) continue;
      list.splice(index, 1);
      moved.push({ ...item, [selector.status]: feature.status });
      result.restored.push(feature.id);
      continue;
    }
    const old = input.recovered.get(feature.id);
    if (old === undefined) {
      moved.push(synthesize(selector, feature, input.workerFields));
      result.synthesized.push(feature.id);
      continue;
    }
    moved.push({ ...structuredClone(old), [selector.status]: feature.status });
    result.recovered.push(feature.id);
  }
  list.push(...moved);
  return result;
}

// An item for a done feature from its evidence alone.
function synthesize(selector: StatusSelector, feature: DoneFeature, workerFields: RebuildInput['workerFields']): Record<string, unknown> {
  const worker = feature.backing.find((backing) => backing.kind === 'worker');
  const why = feature.backing.map(describe).join('; ');
  return {
    [selector.key]: feature.id,
    description: `(written by guard repair --rebuild: no stored version of this feature exists) ${why}`,
    [selector.status]: feature.status,
    ...(worker === undefined || workerFields === undefined ? {} : workerFields(worker.session)),
  };
}
