import type { PathFilter } from './globs.js';
import { isGitWorkTree, listGitFiles } from './git.js';
import { walkFiles } from './walk.js';

/**
 * Candidate paths under `root`, filtered and sorted by UTF-16 code units (not locale order):
 * the order is the same on every machine and the cursor can binary-search it.
 */
export async function listCandidates(
  root: string,
  filter: PathFilter,
  useGit: boolean,
  signal?: AbortSignal,
): Promise<string[]> {
  const all =
    useGit && (await isGitWorkTree(root, signal))
      ? await listGitFiles(root, signal)
      : await walkFiles(root, (directory) => filter.prunes(directory), signal);
  return all.filter((path) => filter.accepts(path)).sort(comparePaths);
}

export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
