import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
// A listing of many thousands of paths easily exceeds execFile's 1 MiB default.
const MAX_BUFFER = 256 * 1024 * 1024;

/** True when `root` is inside a git work tree (and git is installed). Any failure means "no". */
export async function isGitWorkTree(root: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const { stdout } = await run('git', ['-C', root, 'rev-parse', '--is-inside-work-tree'], { signal });
    return stdout.trim() === 'true';
  } catch (error) {
    if (signal?.aborted) throw error;
    return false;
  }
}

/**
 * Tracked and untracked-but-not-ignored files under `root`, relative to it, as git sees them
 * (.gitignore, .git/info/exclude, the global excludes file).
 * Tracked files deleted from the work tree are dropped: they are not on disk, so not in the source.
 */
export async function listGitFiles(root: string, signal?: AbortSignal): Promise<string[]> {
  const options = { cwd: root, maxBuffer: MAX_BUFFER, signal };
  const [listed, deleted] = await Promise.all([
    run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], options),
    run('git', ['ls-files', '-z', '--deleted'], options),
  ]);
  const gone = new Set(splitNul(deleted.stdout));
  // `--others` reports a nested repository as `dir/`: not a file, so dropped.
  return [...new Set(splitNul(listed.stdout))].filter((path) => !gone.has(path) && !path.endsWith('/'));
}

// `-z` output is NUL-separated and unquoted, so names with spaces, quotes or newlines survive.
function splitNul(output: string): string[] {
  return output.split('\0').filter((path) => path.length > 0);
}
