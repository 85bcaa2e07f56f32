/**
 * `aitws pull REF --key PUB [--output FILE] [--policy FILE] [--force] [--plain-http]`: verify the
 * artifact exactly as `aitws verify` does, and only when every check passes write its workflow
 * TOML. An existing file is kept unless `--force`.
 */
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SECRET_REF } from '../document/sections-setup.js';
import { AitwsError } from '../errors.js';
import type { Output } from '../output.js';
import { EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE } from './document-files.js';
import { type Environment, stdio } from './subcommand.js';
import { guarded, verifyAndReport } from './verify-command.js';

export const PULL_USAGE = `  pull REF --key PUB [--output FILE] [--policy FILE] [--force] [--plain-http] [--credentials '${SECRET_REF}']
                                  verify a workflow artifact, then write its TOML (default workflow.toml)`;

const DEFAULT_OUTPUT = 'workflow.toml';

async function writeToml(file: string, bytes: Uint8Array, force: boolean): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, force ? 'w' : 'wx', 0o644);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST')
      throw new AitwsError('ALREADY_EXISTS', `${file} already exists; it was left as it is.`, {
        hint: 'Give another --output, or --force to replace it.',
      });
    throw new AitwsError('FILE_IO', `Could not write ${file}.`, { cause: error });
  }
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}

export async function pullCommand(
  args: readonly string[],
  env: Environment,
  io: Output = stdio,
): Promise<number> {
  return guarded('pull', io, async () => {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        key: { type: 'string' },
        output: { type: 'string' },
        policy: { type: 'string' },
        force: { type: 'boolean', default: false },
        credentials: { type: 'string' },
        'plain-http': { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
    const [ref] = positionals;
    if (positionals.length !== 1 || ref === undefined || values.key === undefined) {
      io.err(
        `aitws pull: give one reference and --key, e.g. aitws pull localhost:5000/team/wf:1.0 --key aitws.pub\n\n${PULL_USAGE}`,
      );
      return EXIT_UNREADABLE;
    }
    const result = await verifyAndReport(
      {
        ref,
        key: values.key,
        plainHttp: values['plain-http'],
        ...(values.policy === undefined ? {} : { policy: values.policy }),
        ...(values.credentials === undefined ? {} : { credentials: values.credentials }),
      },
      env,
      io,
    );
    if (!result.ok || result.toml === undefined) {
      io.err(`aitws pull: ${ref} did not verify; nothing was written.`);
      return EXIT_INVALID;
    }
    const output = values.output ?? DEFAULT_OUTPUT;
    await writeToml(output, result.toml, values.force);
    io.out(`Wrote ${output} (${result.digest ?? ''}).`);
    return EXIT_OK;
  });
}
