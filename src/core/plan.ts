// The resume plan (issue "durable truth" items 4-5): what is done, what is truly pending, and every
// place where the summary (features.json) disagrees with durable truth (the journal's accepted
// history and evidence facts, plus evidence files on disk that were never journaled). Pure.
import type { EvidenceFact } from './entries.js';
import type { Incident, MissionState } from './replay.js';
import { itemMap, itemsOf, type Item } from './pointer.js';
import type { Issue, StatusSelector } from './types.js';

/** Why a feature counts as done. */
export type Backing =
  | { kind: 'worker'; session: string; source: string; journaled: boolean }
  | { kind: 'assertions'; assertions: string[] }
  | { kind: 'journal'; status: string; seq: number; at: string };

export interface DoneFeature {
  id: string;
  /** Its done (or closed) status, as the journal last recorded it, else the first `done` word. */
  status: string;
  backing: Backing[];
}

export interface PendingFeature {
  id: string;
  status: string;
  /** Position in scheduling order (0 = next). */
  position: number;
}

export type DisagreementCode =
  | 'journal-broken'
  | 'artifact-rejected'
  | 'summary-unreadable'
  | 'summary-missing'
  | 'reverted'
  | 'missing'
  | 'unbacked-completion';

/** One place where mission files and durable truth disagree, and the command that fixes it. */
export interface Disagreement {
  code: DisagreementCode;
  /** Errors fail `guard verify` and freeze at start; warnings are reported only. */
  severity: 'error' | 'warning';
  path: string;
  feature?: string;
  message: string;
  /** `guard` arguments after the command name's `--mission DIR`, e.g. ['repair', '--rebuild', 'features.json']. */
  fix: string[];
}

/** What the summary file on disk holds now. */
export type Current = { kind: 'ok'; doc: unknown } | { kind: 'missing' } | { kind: 'unreadable'; issues: Issue[] };

export interface PlanInput {
  state: MissionState;
  /** The summary artifact (features.json) and where its items live. */
  path: string;
  selector: StatusSelector;
  /** The last good version's document, when the journal has one. */
  lastGood: unknown;
  current: Current;
  /** Facts read from the evidence files on disk now (journaled or not). */
  diskFacts: readonly EvidenceFact[];
}

export interface Plan {
  done: DoneFeature[];
  pending: PendingFeature[];
  disagreements: Disagreement[];
  /** Open finalization incidents: listed apart, never part of the plan. */
  finalization: Incident[];
}

/** The selector's status words as sets (src/core/types.ts StatusSelector). */
function wordsOf(selector: StatusSelector) {
  const done = new Set(selector.done ?? []);
  const closed = new Set(selector.closed ?? []);
  return { done, closed, ended: new Set([...done, ...closed]), notStarted: new Set(selector.notStarted ?? []), absent: selector.absent ?? '' };
}

export function planMission(input: PlanInput): Plan {
  const { state, path, selector, current } = input;
  const words = wordsOf(selector);
  const backing = backingOf(input, words.ended);
  addAssertions(input, backing);
  const done: DoneFeature[] = [];
  for (const [id, reasons] of backing) {
    const journaled = state.features.get(id)?.status;
    done.push({ id, status: journaled != null && words.ended.has(journaled) ? journaled : (selector.done?.[0] ?? ''), backing: reasons });
  }

  const disagreements: Disagreement[] = [];
  const fixSummary = input.lastGood === undefined ? ['repair', '--rebuild', path] : ['repair', '--restore', path];
  if (current.kind === 'missing' && (input.lastGood !== undefined || done.length > 0)) {
    disagreements.push({ code: 'summary-missing', severity: 'error', path, message: `${path} is missing`, fix: fixSummary });
  } else if (current.kind === 'unreadable') {
    const first = current.issues[0]?.message ?? 'not valid';
    disagreements.push({ code: 'summary-unreadable', severity: 'error', path, message: `${path} cannot be read: ${first}`, fix: fixSummary });
  } else if (current.kind === 'ok') {
    disagreements.push(...featureDisagreements(input, backing, current.doc));
  }

  const hasErrors = disagreements.some((item) => item.severity === 'error');
  const order = current.kind === 'ok' && !hasErrors ? current.doc : (input.lastGood ?? (current.kind === 'ok' ? current.doc : undefined));
  const pending: PendingFeature[] = [];
  for (const item of itemsOf(order, selector)) {
    const status = String(item.value[selector.status] ?? words.absent);
    if (words.notStarted.has(status) && !backing.has(item.key)) pending.push({ id: item.key, status, position: pending.length });
  }
  const finalization = [...state.incidents.values()].filter((incident) => incident.finalization && incident.open);
  return { done, pending, disagreements, finalization };
}

// Every feature durable truth says is done, with the reasons, in the order they were learned.
function backingOf(input: PlanInput, ended: ReadonlySet<string>): Map<string, Backing[]> {
  const { state } = input;
  const backing = new Map<string, Backing[]>();
  const add = (id: string, reason: Backing) => {
    const list = backing.get(id) ?? [];
    list.push(reason);
    backing.set(id, list);
  };
  for (const history of state.features.values()) {
    if (history.status === null || !ended.has(history.status)) continue;
    const change = [...history.changes].reverse().find((item) => item.to === history.status);
    if (change !== undefined) add(history.id, { kind: 'journal', status: history.status, seq: change.seq, at: change.at });
  }
  for (const [id, session] of state.succeeded) {
    const outcome = [...(state.features.get(id)?.outcomes ?? [])].reverse().find((item) => item.session === session && item.outcome === 'success');
    add(id, { kind: 'worker', session, source: outcome?.source ?? 'journal', journaled: true });
  }
  // Evidence files on disk that the journal has not seen (no guardian was running).
  for (const fact of input.diskFacts) {
    if (fact.fact !== 'worker-completed' || fact.outcome !== 'success') continue;
    const known = state.features.get(fact.feature)?.outcomes.some((item) => item.session === fact.session && item.source === fact.source);
    if (known === true) continue;
    add(fact.feature, { kind: 'worker', session: fact.session, source: fact.source, journaled: false });
  }
  return backing;
}

// Done features whose `fulfills` assertions all passed validation say so too.
function addAssertions(input: PlanInput, backing: Map<string, Backing[]>): void {
  const doc = input.lastGood ?? (input.current.kind === 'ok' ? input.current.doc : undefined);
  const passed = passedAssertions(input);
  const field = input.selector.fulfills;
  for (const item of itemsOf(doc, input.selector)) {
    const reasons = backing.get(item.key);
    if (reasons !== undefined && field !== undefined && fulfilled(item, passed, field)) reasons.push({ kind: 'assertions', assertions: (item.value[field] as unknown[]).map(String) });
  }
}

function featureDisagreements(input: PlanInput, backing: Map<string, Backing[]>, doc: unknown): Disagreement[] {
  const { path, selector } = input;
  const words = wordsOf(selector);
  const items = itemMap(doc, selector);
  const rebuild = ['repair', '--rebuild', path];
  const disagreements: Disagreement[] = [];
  for (const [id, reasons] of backing) {
    const item = items.get(id);
    const why = describe(reasons[0] as Backing);
    if (item === undefined) {
      disagreements.push({ code: 'missing', severity: 'error', path, feature: id, message: `"${id}" is missing from ${path} although ${why}`, fix: rebuild });
      continue;
    }
    const status = String(item.value[selector.status] ?? words.absent);
    if (words.notStarted.has(status)) {
      disagreements.push({ code: 'reverted', severity: 'error', path, feature: id, message: `"${id}" is ${status} in ${path} although ${why}`, fix: rebuild });
    }
  }
  const passed = passedAssertions(input);
  for (const item of items.values()) {
    const status = item.value[selector.status];
    if (typeof status !== 'string' || !words.done.has(status) || backing.has(item.key) || fulfilled(item, passed, selector.fulfills)) continue;
    disagreements.push({
      code: 'unbacked-completion',
      severity: 'warning',
      path,
      feature: item.key,
      message: `"${item.key}" is ${status} in ${path} with no evidence: no journaled completion, no worker success, no passed assertions`,
      fix: ['snapshots', path],
    });
  }
  return disagreements;
}

function passedAssertions(input: PlanInput): Set<string> {
  const passed = new Set<string>();
  for (const [id, assertion] of input.state.assertions) if (assertion.status === 'passed') passed.add(id);
  for (const fact of input.diskFacts) if (fact.fact === 'assertion' && fact.status === 'passed') passed.add(fact.assertion);
  return passed;
}

function fulfilled(item: Item, passed: Set<string>, field: string | undefined): boolean {
  if (field === undefined) return false;
  const fulfills = item.value[field];
  return Array.isArray(fulfills) && fulfills.length > 0 && fulfills.every((assertion) => passed.has(String(assertion)));
}

export function describe(backing: Backing): string {
  switch (backing.kind) {
    case 'journal':
      return `the journal recorded it as ${backing.status} (#${backing.seq}, ${backing.at})`;
    case 'worker':
      return `worker session ${backing.session} completed it with success (${backing.source}${backing.journaled ? '' : ', not yet journaled'})`;
    case 'assertions':
      return `its assertions passed (${backing.assertions.join(', ')})`;
  }
}
