import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { SourceConfigError, SourceError } from 'sluice';

const CONNECTOR = 'files';

/** Conditions of the root that stay until someone fixes the setup: retrying only delays the news. */
const PERMANENT = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

/** Where a root may come from the run input: only inside these bases, set by the operator. */
export interface InputRootAllowance {
  under: string | string[];
}

/**
 * The directory to read, as a real path (symlinks resolved): the `root` param, which the operator
 * sets; else a string `root` in the run input, only when the pipeline allows input roots and the
 * value resolves, symlinks included, inside one of the allowed bases.
 * Checked on every read, so a bad root fails loudly instead of looking like an empty directory,
 * and fails the run at once (SourceConfigError) rather than after every retry.
 */
export async function resolveRoot(
  paramRoot: string | undefined,
  allowInputRoot: InputRootAllowance | undefined,
  input: Record<string, unknown>,
  cwd: string,
): Promise<string> {
  if (paramRoot !== undefined) return realDirectory(paramRoot, resolve(cwd, paramRoot));
  const inputRoot = typeof input.root === 'string' && input.root.length > 0 ? input.root : undefined;
  if (inputRoot === undefined) {
    throw new SourceConfigError('files: no root directory: set the `root` param of files.files() or pass `root` in the run input', CONNECTOR);
  }
  if (allowInputRoot === undefined) {
    throw new SourceConfigError(
      `files: root "${inputRoot}" from the run input is refused: this pipeline reads only the root its operator sets (allow input roots with files.files({ allowInputRoot: { under: '/srv/uploads' } }))`,
      CONNECTOR,
    );
  }
  if (inputRoot.split(/[\\/]/).includes('..') || inputRoot.includes('\0')) {
    throw new SourceConfigError(`files: root "${inputRoot}" from the run input is refused: ".." segments are not allowed`, CONNECTOR);
  }
  const bases = Array.isArray(allowInputRoot.under) ? allowInputRoot.under : [allowInputRoot.under];
  for (const base of bases) {
    const baseReal = await realpath(resolve(cwd, base)).catch(() => undefined);
    if (baseReal === undefined) continue;
    // A relative input root is taken inside the base; an absolute one must already be inside it.
    const candidate = isAbsolute(inputRoot) ? inputRoot : resolve(baseReal, inputRoot);
    if (!isAbsolute(inputRoot) || inside(resolve(candidate), resolve(cwd, base)) || inside(resolve(candidate), baseReal)) {
      const real = await realDirectory(inputRoot, candidate);
      // The real path decides: a symlink inside the base pointing elsewhere does not count.
      if (inside(real, baseReal)) return real;
    }
  }
  throw new SourceConfigError(`files: root "${inputRoot}" from the run input is refused: it is outside the allowed folders`, CONNECTOR);
}

/** Whether `path` is `base` or below it. Both absolute and normalised. */
export function inside(path: string, base: string): boolean {
  if (path === base) return true;
  const rel = relative(base, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

async function realDirectory(given: string, absolute: string): Promise<string> {
  const where = absolute === given ? `"${given}"` : `"${given}" (resolved to "${absolute}")`;
  let real: string;
  let info;
  try {
    info = await stat(absolute);
    real = await realpath(absolute);
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
  return real;
}
