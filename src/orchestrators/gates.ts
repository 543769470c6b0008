// The agent-tool gates of the orchestrators the hook pauses (adapter `pause.gate`), in a module of
// their own: `guard hook` checks every tool name against them before anything else loads, so an
// unrelated call does not pay for the adapters. The contract test keeps it equal to the registry.
import type { FrozenToolGate, OrchestratorName } from './adapter.js';
import { TASKMASTER_GATE } from './taskmaster/tools.js';

export const TOOL_GATES: ReadonlyArray<{ name: OrchestratorName; gate: FrozenToolGate }> = [{ name: 'taskmaster', gate: TASKMASTER_GATE }];

// The orchestrator whose MCP tool this is, if any.
export function gatedToolOwner(tool: string): OrchestratorName | undefined {
  return TOOL_GATES.find(({ gate }) => gate.matchesTool(tool))?.name;
}
