/**
 * `aitws keys generate [--out PREFIX]`: an ECDSA P-256 key pair for signing artifacts offline.
 * PREFIX.key (owner-only) signs; PREFIX.pub goes to whoever verifies, aitws or cosign alike.
 */
import { parseArgs } from 'node:util';
import { AitwsError } from '../errors.js';
import { keyId, writeKeyPair } from '../oci/keys.js';
import type { Output } from '../output.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE } from './validate-files.js';

export const KEYS_USAGE = `  keys generate [--out PREFIX]    a signing key pair: PREFIX.key (private, mode 0600) and
                                  PREFIX.pub (public, for aitws verify and cosign verify); default aitws`;

const DEFAULT_PREFIX = 'aitws';

/** `io` is where the messages go; the CLI passes the process's streams. */
export async function keysCommand(
  args: readonly string[],
  _env: Environment,
  io: Output = stdio,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { out: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || positionals[0] !== 'generate') {
    io.err(`aitws keys: say what to do, e.g. aitws keys generate --out release\n\n${KEYS_USAGE}`);
    return EXIT_UNREADABLE;
  }
  const prefix = values.out ?? DEFAULT_PREFIX;
  if (prefix === '' || prefix.endsWith('/'))
    throw new AitwsError('USAGE', '--out needs a file name prefix, e.g. --out keys/release.');
  const pair = await writeKeyPair(prefix);
  io.out(`Wrote ${prefix}.key (private key, mode 0600: keep it secret, never commit it).`);
  io.out(`Wrote ${prefix}.pub (public key ${keyId(pair.publicKey)}).`);
  io.out(`Verify with: aitws verify REF --key ${prefix}.pub   or   cosign verify --key ${prefix}.pub REF`);
  return 0;
}
