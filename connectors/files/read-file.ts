import { lstat, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeText } from 'sluice';
import { inside } from './root.js';

/** One text file under the root. */
export interface FileRecord {
  /** Path relative to the root, with `/` separators on every platform. */
  path: string;
  size: number;
  /** Last modification time, ISO 8601. Not part of the hash: touching a file is not a change. */
  modifiedAt: string;
  text: string;
}

export type FileOutcome =
  | { kind: 'record'; record: FileRecord }
  | { kind: 'skipped' }
  | { kind: 'failure'; reason: string };

/**
 * Errors that concern this one file (it vanished, it is unreadable, it became a directory).
 * Anything else (EMFILE, EIO) is thrown so the whole page is retried.
 */
const ITEM_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ELOOP']);

/** `root` is a real path (see resolveRoot); a file whose real path leaves it is skipped. */
export async function readTextFile(root: string, path: string, maxFileBytes: number): Promise<FileOutcome> {
  const absolute = join(root, ...path.split('/'));
  try {
    // lstat, not stat: a symlink (git lists them too) is skipped rather than followed out of the root.
    const info = await lstat(absolute);
    if (!info.isFile()) return { kind: 'skipped' };
    // lstat only looks at the last segment: a symlinked directory on the way (`dir -> /etc`,
    // listed `dir/passwd`) would lead out. The real path must stay under the root's real path.
    if (!inside(await realpath(absolute), root)) return { kind: 'skipped' };
    // Size check before reading, so a huge file is never loaded.
    if (info.size > maxFileBytes) return { kind: 'skipped' };
    const bytes = await readFile(absolute);
    // The file may have grown since the lstat.
    if (bytes.length > maxFileBytes) return { kind: 'skipped' };
    const text = decodeText(bytes);
    if (text === undefined) return { kind: 'skipped' };
    return {
      kind: 'record',
      record: { path, size: bytes.length, modifiedAt: info.mtime.toISOString(), text },
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && ITEM_ERRORS.has(code)) {
      return { kind: 'failure', reason: `${code}: ${(error as Error).message}` };
    }
    throw error;
  }
}
