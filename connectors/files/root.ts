import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SourceConfigError, SourceError } from 'sluice';

const CONNECTOR = 'files';

/** Conditions of the root that stay until someone fixes the setup: retrying only delays the news. */
const PERMANENT = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

/**
 * The directory to read: the `root` param, else a string `root` in the run input.
 * Checked on every read, so a bad root fails loudly instead of looking like an empty directory,
 * and fails the run at once (SourceConfigError) rather than after every retry.
 */
export async function resolveRoot(
  paramRoot: string | undefined,
  input: Record<string, unknown>,
  cwd: string,
): Promise<string> {
  const inputRoot = typeof input.root === 'string' && input.root.length > 0 ? input.root : undefined;
  const root = paramRoot ?? inputRoot;
  if (root === undefined) {
    throw new SourceConfigError('files: no root directory: set the `root` param of files.files() or pass `root` in the run input', CONNECTOR);
  }
  const absolute = resolve(cwd, root);
  const where = absolute === root ? `"${root}"` : `"${root}" (resolved to "${absolute}")`;
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SourceConfigError(`files: root ${where} does not exist`, CONNECTOR, { cause: error });
    }
    // An I/O error may pass (a network mount reconnecting): that one is retried.
    const Failure = PERMANENT.has(code) ? SourceConfigError : SourceError;
    throw new Failure(`files: root ${where} cannot be read: ${(error as Error).message}`, CONNECTOR, { cause: error });
  }
  if (!info.isDirectory()) {
    throw new SourceConfigError(`files: root ${where} is not a directory`, CONNECTOR);
  }
  return absolute;
}
