// guard config adopt: a human makes the mission's guard.config.json (and the schemas it names)
// the profile the guard uses. Until then, and after any later change, the guard refuses it.
import { shellQuote } from '../../core/freeze.js';
import { EXIT, GuardError } from '../../errors.js';
import { adoptConfig, CONFIG_FILE, configState } from '../../profiles/adoption.js';
import { loadProfileFile } from '../../profiles/profile.js';
import { orchestratorAt } from '../../orchestrators/index.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { confirmHuman, humanOption } from '../human.js';
import { resolveMissionDir } from '../mission.js';
import { escapeControls } from '../render.js';
import { whoAmI } from './restore.js';

const USAGE = `guard config adopt [--mission DIR] [--${'yes-i-am-human'}] [--json]   |   guard config show [--mission DIR] [--json]`;

export const configCommand = defineCommand({
  name: 'config',
  usage: USAGE,
  summary: `adopt the mission's ${CONFIG_FILE} (a human's review makes it trusted), or show how it stands`,
  options: { ...missionOption, ...jsonOption, ...humanOption },
  async run(ctx, { values, positionals }) {
    const [action, ...extra] = positionals;
    if ((action !== 'adopt' && action !== 'show') || extra.length > 0) throw new GuardError('USAGE', `guard config takes "adopt" or "show"\nusage: ${USAGE}`);
    const dir = resolveMissionDir(ctx, values.mission);
    const mission = shellQuote(dir);
    if (action === 'show') {
      const state = configState(ctx.guardHome, dir);
      if (values.json === true) ctx.print.json({ mission: dir, config: state.kind, ...(state.kind === 'none' || state.kind === 'unadopted' ? {} : { adopted: state.adoption }), ...(state.kind === 'changed' ? { changed: state.changed } : {}) });
      else ctx.print.out(escapeControls(describe(state.kind, dir, state.kind === 'changed' ? state.changed : [])));
      return state.kind === 'changed' || state.kind === 'unadopted' ? EXIT.checkFailed : EXIT.ok;
    }
    const before = configState(ctx.guardHome, dir).kind;
    const builtIn = orchestratorAt(dir);
    if (builtIn !== undefined && (before === 'none' || before === 'unadopted')) {
      const files = builtIn.markers.join(' or ');
      throw new GuardError('USAGE', `${dir} is a ${builtIn.title} mission (${files}): it is always judged with the built-in ${builtIn.title} profile and never takes ${CONFIG_FILE} from the mission dir. To judge it otherwise, a human passes --config FILE (kept outside the mission) to guard watch / guard run.`);
    }
    await confirmHuman(ctx, values, `adopt ${dir}/${CONFIG_FILE} and the schemas it names as the rules the guard enforces on this mission?`);
    const adoption = adoptConfig(ctx.guardHome, dir, whoAmI(ctx), (staged) => void loadProfileFile(staged, `${dir}/${CONFIG_FILE}`));
    if (values.json === true) ctx.print.json({ adopted: true, mission: dir, ...adoption });
    else {
      ctx.print.out(escapeControls(`adopted ${dir}/${CONFIG_FILE}${Object.keys(adoption.files).length > 1 ? ` with ${Object.keys(adoption.files).slice(1).join(', ')}` : ''}; the guard now uses this copy, and refuses any later change until it is adopted again.`));
      ctx.print.out(`next: restart a running guard watch / guard run on ${mission} to pick it up`);
    }
    return EXIT.ok;
  },
});

function describe(kind: string, dir: string, changed: string[]): string {
  const adopt = `guard config adopt --mission ${shellQuote(dir)}`;
  switch (kind) {
    case 'none':
      return `${dir} has no ${CONFIG_FILE}: the built-in droid profile applies`;
    case 'unadopted':
      return `${dir}/${CONFIG_FILE} is not adopted: the guard refuses it until a human runs ${adopt}`;
    case 'changed':
      return `${changed.join(', ')} changed since adoption: commands refuse the mission and guardians keep the adopted copy until a human runs ${adopt}`;
    default:
      return `${dir}/${CONFIG_FILE} is adopted and unchanged`;
  }
}
