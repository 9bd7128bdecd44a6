import picomatch from 'picomatch';

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
