import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

/**
 * The directory to read: the `root` param, else a string `root` in the run input.
 * Checked on every read, so a bad root fails loudly instead of looking like an empty directory.
 */
export async function resolveRoot(
  paramRoot: string | undefined,
  input: Record<string, unknown>,
  cwd: string,
): Promise<string> {
  const inputRoot = typeof input.root === 'string' && input.root.length > 0 ? input.root : undefined;
  const root = paramRoot ?? inputRoot;
  if (root === undefined) {
    throw new Error('files: no root directory: set the `root` param of files.files() or pass `root` in the run input');
  }
  const absolute = resolve(cwd, root);
  const where = absolute === root ? `"${root}"` : `"${root}" (resolved to "${absolute}")`;
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new Error(`files: root ${where} does not exist`, { cause: error });
    }
    throw new Error(`files: root ${where} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isDirectory()) {
    throw new Error(`files: root ${where} is not a directory`);
  }
  return absolute;
}
