// guard show: the exact bytes of one stored version on stdout, nothing added, so it can be piped
// or redirected into a file and compared byte for byte.
import { errnoOf, EXIT, GuardError } from '../../errors.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { resolveMissionDir } from '../mission.js';
import { bytesOf, openCatalogue, resolveSnapshot } from '../snapshot-ref.js';

export const showCommand = defineCommand({
  name: 'show',
  usage: 'guard show SNAP [--mission DIR] [--json]   (SNAP: digest prefix, ARTIFACT, ARTIFACT@rejected, ARTIFACT@SEQ, #SEQ)',
  summary: 'print the exact bytes of a stored version',
  options: { ...missionOption, ...jsonOption },
  async run(ctx, { values, positionals }) {
    if (positionals.length !== 1) throw new GuardError('USAGE', `guard show takes exactly one SNAP reference (got ${positionals.length}); guard snapshots lists them`);
    const dir = resolveMissionDir(ctx, values.mission);
    const catalogue = await openCatalogue(ctx, dir);
    const snapshot = resolveSnapshot(catalogue.snapshots, catalogue.view.paths.missionDir, positionals[0] as string);
    const bytes = await bytesOf(catalogue, snapshot);
    if (values.json === true) {
      ctx.print.json({ mission: catalogue.view.paths.missionDir, path: snapshot.path, seq: snapshot.seq, kind: snapshot.kind, digest: snapshot.digest, size: bytes.length, base64: bytes.toString('base64') });
      return EXIT.ok;
    }
    // Wait for the bytes to leave: a big snapshot must not be cut short when main returns.
    await new Promise<void>((resolve, reject) => {
      ctx.io.stdout.write(bytes, (error) => (error === null || error === undefined || errnoOf(error) === 'EPIPE' ? resolve() : reject(error)));
    });
    return EXIT.ok;
  },
});
