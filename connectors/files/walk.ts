import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Regular files under `root`, relative posix paths. Symlinks are neither followed nor listed,
 * so a link cannot lead outside the root or into a cycle. `prune` skips ignored directories
 * (node_modules) without reading them.
 */
export async function walkFiles(
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
