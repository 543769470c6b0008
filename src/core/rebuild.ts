// `guard repair --rebuild features.json` (issue "durable truth" item 6): a summary consistent with
// durable truth. Start from last good, give every feature the journal or a worker's success
// says is done its done status back, bring back done features that went missing (from the newest
// journaled version that still had them), and keep droid's order rules: done features go to the
// bottom, everything else keeps its place. Pure.
import type { DoneFeature, StatusSelector } from './plan.js';
import { isRecord, valueAt } from './pointer.js';

export interface RebuildInput {
  selector: StatusSelector;
  /** The document to start from (last good, else the newest readable version). */
  base: unknown;
  done: readonly DoneFeature[];
  /** Feature objects, by id, from older versions: used for done features missing from `base`. */
  recovered: ReadonlyMap<string, Record<string, unknown>>;
}

export interface Rebuilt {
  doc: unknown;
  /** Done features whose status was put back. */
  restored: string[];
  /** Done features brought back from an older version. */
  recovered: string[];
  /** Done features no journaled version holds: they cannot be brought back. */
  lost: string[];
}

export function rebuildSummary(input: RebuildInput): Rebuilt {
  const { selector, done } = input;
  const doc = structuredClone(input.base) as unknown;
  const list = Array.isArray(doc) ? doc : (valueAt(doc, selector.items) as unknown[] | undefined);
  if (!Array.isArray(list)) return { doc, restored: [], recovered: [], lost: done.map((feature) => feature.id) };
  const result: Rebuilt = { doc, restored: [], recovered: [], lost: [] };
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
      result.lost.push(feature.id);
      continue;
    }
    moved.push({ ...structuredClone(old), [selector.status]: feature.status });
    result.recovered.push(feature.id);
  }
  list.push(...moved);
  return result;
}
