// mission-guard as a library: the judge and transactional writes for orchestrators, plus the
// types they need. The CLI (`guard`) is built on the same functions.
export { judgeArtifact, writeArtifact, type ArtifactVerdict, type GuardOptions, type WriteOutcome } from './api.js';
export { judgeVersion, type ArtifactSpec, type JudgeContext, type Judgement, type LastGood } from './core/judge.js';
export { replay, type MissionState, type FeatureHistory, type Incident } from './core/replay.js';
export { planMission, type Plan, type Disagreement } from './core/plan.js';
export type { JournalEntry, EntryBody, EvidenceFact } from './core/entries.js';
export type { Digest, Issue, IssueCode, Role, RuleSpec, Transition } from './core/types.js';
export { loadBuiltInProfile, loadDroidProfile, resolveProfile, type Profile } from './profiles/profile.js';
export { ORCHESTRATORS, type Orchestrator, type OrchestratorName } from './orchestrators/index.js';
export { GuardError, EXIT, type GuardErrorCode } from './errors.js';
