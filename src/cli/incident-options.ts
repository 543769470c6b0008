// Options `guard watch` and `guard run` share: --on-incident and how held missions are retried.
import { GuardError } from '../errors.js';
import { DEFAULT_RETRY_HELD_MS } from '../guardian/supervisor.js';
import { DEFAULT_INCIDENT_TIMEOUT_MS, type IncidentHook } from '../run/incident-hook.js';

export const incidentOptions = { 'on-incident': { type: 'string' }, 'on-incident-timeout': { type: 'string' } } as const;

export function parseIncidentHook(values: { 'on-incident'?: string; 'on-incident-timeout'?: string }): IncidentHook | undefined {
  const command = values['on-incident'];
  const timeout = values['on-incident-timeout'];
  if (command === undefined) {
    if (timeout !== undefined) throw new GuardError('USAGE', '--on-incident-timeout needs --on-incident CMD.');
    return undefined;
  }
  if (command.trim() === '') throw new GuardError('USAGE', '--on-incident needs a command, e.g. --on-incident \'notify-send "mission guard" "$(jq -r .reason)"\'.');
  if (timeout === undefined) return { command, timeoutMs: DEFAULT_INCIDENT_TIMEOUT_MS };
  const seconds = Number(timeout);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new GuardError('USAGE', `--on-incident-timeout takes a number of seconds between 0 and 3600 (got "${timeout}").`);
  return { command, timeoutMs: Math.round(seconds * 1000) };
}

export function parseRetryHeldMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_RETRY_HELD_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 100 || value > 3_600_000) throw new GuardError('USAGE', `--retry-held-ms takes a whole number of milliseconds between 100 and 3600000 (got "${text}").`);
  return value;
}
