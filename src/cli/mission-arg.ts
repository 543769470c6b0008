// `guard status DIR` means `guard status --mission DIR`, for every command whose only argument
// is the mission.
import { GuardError } from '../errors.js';
import type { Context } from './command.js';
import { resolveMissionDir } from './mission.js';

export function missionFromArgs(ctx: Context, name: string, option: string | undefined, positionals: string[]): string {
  if (positionals.length > 1) throw new GuardError('USAGE', `guard ${name} takes at most one mission dir (got ${positionals.length} arguments: ${positionals.join(' ')}).`);
  const [given] = positionals;
  if (given !== undefined && option !== undefined && resolveMissionDir(ctx, given) !== resolveMissionDir(ctx, option)) {
    throw new GuardError('USAGE', `guard ${name} got two different missions: ${given} and --mission ${option}. Name one.`);
  }
  return resolveMissionDir(ctx, option ?? given);
}
