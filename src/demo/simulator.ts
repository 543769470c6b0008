/**
 * A simulated droid orchestrator (a real process, no network, no model): it runs a small mission
 * writing files exactly the way droid does (DROID.md §2), then reproduces the incident this
 * project exists for. `guard demo` runs it under `guard run`; the integration tests drive it too.
 *
 *   node dist/src/demo/simulator.js --mission DIR [--guard-home DIR] [--scenario incident|clean]
 *                                   [--complete N] [--pace-ms N] [--timeout-ms N]
 *
 * Theory of operation: a cooperative scheduler loop. At the top of every round it stops (exit 0)
 * when state.json is paused or the guard's `.guard-frozen` sentinel exists; otherwise it writes a
 * heartbeat and runs the first pending feature through one worker (features.json in_progress,
 * progress lines, then EndFeatureRun's writes in droid's order). In the incident scenario, once
 * `--complete` features are done, milestone validation writes a good synthesis.json, a second
 * finalization write of it fails half-way, and the orchestrator "repairs" features.json from
 * memory, putting every completed feature back to pending. With `--guard-home`, every write waits
 * for the guard's verdict on its exact bytes (and a rejected one for its restore), so the story
 * never depends on timing; `--pace-ms` only slows it down for people to read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendProgress, featureText, writeFeaturesLikeRunner, writeHandoff, writeInPlace, writeLikeTool, writeState, type Feature, type MissionState } from './droid-files.js';
import { createDemoMission } from './demo-mission.js';
import { VerdictWaiter } from './verdicts.js';

interface SimulatorOptions {
  mission: string;
  scenario: 'incident' | 'clean';
  complete: number;
  paceMs: number;
  waiter: VerdictWaiter | undefined;
}

const SYNTHESIS = 'validation/m1/scrutiny/synthesis.json';

class Simulator {
  readonly #options: SimulatorOptions;
  #sessions = 0;

  constructor(options: SimulatorOptions) {
    this.#options = options;
  }

  async run(): Promise<number> {
    const { mission } = this.#options;
    if (!existsSync(join(mission, 'features.json'))) {
      createDemoMission(mission);
      say(`mission created in ${mission} (plan accepted: ${this.#features().length} features)`);
    }
    await this.#options.waiter?.baseline();
    let incidentDone = false;
    for (;;) {
      const stop = this.#pausedBy();
      if (stop !== undefined) {
        say(`scheduler: ${stop}; not starting more workers`);
        return 0;
      }
      const features = this.#features();
      const completed = features.filter((feature) => feature.status === 'completed').length;
      if (this.#options.scenario === 'incident' && !incidentDone && completed >= this.#options.complete) {
        incidentDone = true;
        await this.#incident();
        continue;
      }
      const next = features.find((feature) => feature.status === 'pending');
      if (next === undefined) break;
      await this.#heartbeat('running');
      await this.#runWorker(next.id);
    }
    await this.#heartbeat('completed');
    say('all features completed; mission done');
    return 0;
  }

  // Why the scheduler must not start another worker, if it must not.
  #pausedBy(): string | undefined {
    if (existsSync(join(this.#options.mission, '.guard-frozen'))) return 'the mission is frozen (.guard-frozen exists)';
    if (this.#state().state === 'paused') return 'state.json says paused';
    return undefined;
  }

  async #runWorker(id: string): Promise<void> {
    const session = `ws-${String(++this.#sessions).padStart(4, '0')}`;
    await this.#writeFeatures(this.#features().map((feature) => (feature.id === id ? { ...feature, status: 'in_progress', workerSessionIds: [...(feature.workerSessionIds ?? []), session], currentWorkerSessionId: session } : feature)));
    await this.#append({ type: 'worker_selected_feature', workerSessionId: session, featureId: id });
    await this.#append({ type: 'worker_started', workerSessionId: session, spawnId: `spawn-${session}`, featureId: id });
    say(`worker ${session} started ${id}`);
    await pause(this.#options.paceMs);
    // EndFeatureRun, in droid's order: features.json, handoff, state.json, progress log.
    const done = this.#features().map((feature): Feature => (feature.id === id ? { ...feature, status: 'completed', currentWorkerSessionId: null, completedWorkerSessionId: session } : feature));
    await this.#writeFeatures([...done.filter((feature) => feature.id !== id), ...done.filter((feature) => feature.id === id)]);
    const handoff = writeHandoff(this.#options.mission, id, session, 'success');
    await this.#judged(handoff);
    await this.#heartbeat('running');
    await this.#append({ type: 'worker_completed', workerSessionId: session, featureId: id, successState: 'success', returnToOrchestrator: false, exitCode: 0, handoff });
    say(`worker ${session} completed ${id}`);
  }

  async #incident(): Promise<void> {
    const { mission, paceMs } = this.#options;
    await this.#append({ type: 'milestone_validation_triggered', milestone: 'm1', featureId: 'scrutiny-validator-m1' });
    const synthesis = (round: number) => `${JSON.stringify({ milestone: 'm1', round, status: 'pass', validatorsRun: ['scrutiny'], reviewsSummary: 'all reviews passed', blockingIssues: [] }, null, 2)}\n`;
    writeLikeTool(join(mission, SYNTHESIS), synthesis(1));
    await this.#judged(SYNTHESIS);
    say(`validator wrote ${SYNTHESIS} (milestone m1 passed)`);
    await pause(paceMs);

    const partial = synthesis(2).slice(0, 40);
    say(`validator: the finalization write of ${SYNTHESIS} fails half-way (${partial.length} bytes of JSON)`);
    await writeInPlace(join(mission, SYNTHESIS), partial);
    await this.#judged(SYNTHESIS, partial);
    await pause(paceMs);

    say('orchestrator: "repairing" features.json from memory: every feature back to pending');
    const fromMemory = this.#features().map(({ id, description, milestone, skillName, fulfills }): Feature => ({ id, description, status: 'pending', ...(milestone === undefined ? {} : { milestone }), ...(skillName === undefined ? {} : { skillName }), ...(fulfills === undefined ? {} : { fulfills }) }));
    await writeFeaturesLikeRunner(mission, fromMemory);
    await this.#judged('features.json', featureText(fromMemory));
    await pause(paceMs);
  }

  async #heartbeat(state: string): Promise<void> {
    writeState(this.#options.mission, { ...this.#state(), state, updatedAt: new Date().toISOString() });
    await this.#judged('state.json');
  }

  async #writeFeatures(features: Feature[]): Promise<void> {
    await writeFeaturesLikeRunner(this.#options.mission, features);
    await this.#judged('features.json', featureText(features));
  }

  async #append(line: Record<string, unknown>): Promise<void> {
    appendProgress(this.#options.mission, line);
    await this.#judged('progress_log.jsonl');
  }

  // Wait for the guard's verdict on what we wrote (read back, unless given); a rejected write
  // also waits for the guard's restore, as droid would only notice the file changed later.
  async #judged(path: string, written?: string): Promise<void> {
    const waiter = this.#options.waiter;
    if (waiter === undefined) return;
    const bytes = written === undefined ? readFileSync(join(this.#options.mission, path)) : Buffer.from(written);
    const verdict = await waiter.verdict(path, bytes);
    if (verdict.kind === 'rejected') await waiter.handled(path, verdict.seq);
  }

  #features(): Feature[] {
    const doc = JSON.parse(readFileSync(join(this.#options.mission, 'features.json'), 'utf8')) as { features: Feature[] } | Feature[];
    return Array.isArray(doc) ? doc : doc.features;
  }

  #state(): MissionState {
    return JSON.parse(readFileSync(join(this.#options.mission, 'state.json'), 'utf8')) as MissionState;
  }
}

function say(text: string): void {
  process.stdout.write(`droid-sim  ${text}\n`);
}

function pause(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

function parseOptions(argv: string[]): SimulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      mission: { type: 'string' },
      'guard-home': { type: 'string' },
      scenario: { type: 'string', default: 'incident' },
      complete: { type: 'string', default: '3' },
      'pace-ms': { type: 'string', default: '0' },
      'timeout-ms': { type: 'string', default: '15000' },
    },
    strict: true,
  });
  if (values.mission === undefined) throw new Error('--mission DIR is required');
  if (values.scenario !== 'incident' && values.scenario !== 'clean') throw new Error('--scenario is incident or clean');
  const number = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
    return value;
  };
  const guardHome = values['guard-home'];
  return {
    mission: values.mission,
    scenario: values.scenario,
    complete: number('complete', values.complete),
    paceMs: number('pace-ms', values['pace-ms']),
    waiter: guardHome === undefined ? undefined : new VerdictWaiter(guardHome, values.mission, number('timeout-ms', values['timeout-ms'])),
  };
}

let options: SimulatorOptions | undefined;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`droid-sim: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
if (options !== undefined) {
  try {
    process.exitCode = await new Simulator(options).run();
  } catch (error) {
    process.stderr.write(`droid-sim: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
