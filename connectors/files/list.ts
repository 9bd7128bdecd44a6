/**
 * Which paths under a root are candidates: listed by git when the root is in a work tree (so
 * .gitignore applies), else by a walk; filtered by the include/ignore globs; sorted.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import picomatch from 'picomatch';

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

/**
 * Globs match the whole relative posix path (`*.md` is top-level only, `**\/*.md` is everywhere).
 * `dot: true` so `.github/**` and friends match like any other path.
 */
export interface PathFilter {
  /** Whether a file path is a candidate. */
  accepts(path: string): boolean;
  /** Whether every path under this directory is ignored, so a walk can skip it entirely. */
  prunes(directory: string): boolean;
}

export function createPathFilter(include: string[] | undefined, ignore: string[]): PathFilter {
  // An empty include list is treated as "no include filter", not "match nothing": nobody asks for zero files.
  const included = include && include.length > 0 ? picomatch(include, { dot: true }) : () => true;
  const ignored = ignore.length > 0 ? picomatch(ignore, { dot: true }) : () => false;
  // Only `prefix/**` patterns can prove a whole directory is ignored: when `prefix` matches the
  // directory, `prefix/**` matches everything below it. Other patterns are checked per file.
  const prefixes = ignore.filter((p) => p.endsWith('/**')).map((p) => p.slice(0, -3));
  const prunedDirectory = prefixes.length > 0 ? picomatch(prefixes, { dot: true }) : () => false;
  return {
    accepts: (path) => included(path) && !ignored(path),
    prunes: (directory) => prunedDirectory(directory),
  };
}

const run = promisify(execFile);

/**
 * git reads config from the folder it lists, and a folder's `.git/config` can name commands
 * (`core.fsmonitor`, hooks) that git would run as the worker. Listing only needs the index and
 * the ignore files, so every command-running setting is switched off, and neither the system nor
 * the global config nor any GIT_* variable of the worker's environment (GIT_DIR, GIT_CONFIG_*) applies.
 */
const GIT_SAFE_ARGS = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'core.untrackedCache=false'];

function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('GIT_')) env[name] = value;
  }
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' };
}

function git(args: string[], options: { cwd?: string; maxBuffer?: number; signal?: AbortSignal | undefined }) {
  return run('git', [...GIT_SAFE_ARGS, ...args], { ...options, env: gitEnvironment() });
}
// A listing of many thousands of paths easily exceeds execFile's 1 MiB default.
const MAX_BUFFER = 256 * 1024 * 1024;

/** True when `root` is inside a git work tree (and git is installed). Any failure means "no". */
async function isGitWorkTree(root: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const { stdout } = await git(['-C', root, 'rev-parse', '--is-inside-work-tree'], { signal });
    return stdout.trim() === 'true';
  } catch (error) {
    if (signal?.aborted) throw error;
    return false;
  }
}

/**
 * Tracked and untracked-but-not-ignored files under `root`, relative to it, as git sees them
 * (.gitignore, .git/info/exclude), run with the hardened settings above.
 * Tracked files deleted from the work tree are dropped: they are not on disk, so not in the source.
 */
async function listGitFiles(root: string, signal?: AbortSignal): Promise<string[]> {
  const options = { cwd: root, maxBuffer: MAX_BUFFER, signal };
  const [listed, deleted] = await Promise.all([
    git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], options),
    git(['ls-files', '-z', '--deleted'], options),
  ]);
  const gone = new Set(splitNul(deleted.stdout));
  // `--others` reports a nested repository as `dir/`: not a file, so dropped.
  return [...new Set(splitNul(listed.stdout))].filter((path) => !gone.has(path) && !path.endsWith('/'));
}

// `-z` output is NUL-separated and unquoted, so names with spaces, quotes or newlines survive.
function splitNul(output: string): string[] {
  return output.split('\0').filter((path) => path.length > 0);
}

/**
 * Regular files under `root`, relative posix paths. Symlinks are neither followed nor listed,
 * so a link cannot lead outside the root or into a cycle. `prune` skips ignored directories
 * (node_modules) without reading them.
 */
async function walkFiles(
  root: string,
  prune: (directory: string) => boolean,
  signal?: AbortSignal,
): Promise<string[]> {
  const files: string[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const relative = pending.pop() as string;
    const entries = await readdir(relative === '' ? root : join(root, relative), { withFileTypes: true });
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!prune(path)) pending.push(path);
      } else if (entry.isFile()) {
        files.push(path);
      }
    }
  }
  return files;
}
