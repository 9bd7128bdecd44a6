import { constants } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
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
const ITEM_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ELOOP', 'ENXIO', 'EAGAIN']);

/** Opened without blocking (a FIFO would wait for a writer) and without following a symlink. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0);

/**
 * `root` is a real path (see resolveRoot); a file whose real path leaves it is skipped. Only
 * regular files are read (a FIFO, socket or device named like a text file is skipped), and a read
 * that takes longer than `readTimeoutMs` fails that file instead of holding the page.
 */
export async function readTextFile(root: string, path: string, maxFileBytes: number, readTimeoutMs = 30_000): Promise<FileOutcome> {
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
    const handle = await open(absolute, OPEN_FLAGS);
    let reading: Promise<Buffer> | undefined;
    try {
      // The file may have been swapped for a FIFO or a device since the lstat: check what was opened.
      const opened = await handle.stat();
      if (!opened.isFile() || opened.size > maxFileBytes) return { kind: 'skipped' };
      reading = handle.readFile();
      const bytes = await withDeadline(reading, readTimeoutMs);
      if (bytes === undefined) return { kind: 'failure', reason: `timed out after ${readTimeoutMs / 1000} s` };
      // The file may have grown since the stat.
      if (bytes.length > maxFileBytes) return { kind: 'skipped' };
      const text = decodeText(bytes);
      if (text === undefined) return { kind: 'skipped' };
      return {
        kind: 'record',
        record: { path, size: bytes.length, modifiedAt: opened.mtime.toISOString(), text },
      };
    } finally {
      closeAfter(handle, reading);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && ITEM_ERRORS.has(code)) {
      return { kind: 'failure', reason: `${code}: ${(error as Error).message}` };
    }
    throw error;
  }
}

/** The value, or undefined when it has not come within `ms`. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes the handle once a read still in flight (past its deadline) settles: closing under it is unsafe. */
function closeAfter(handle: FileHandle, reading: Promise<unknown> | undefined): void {
  const close = () => void handle.close().catch(() => {});
  if (reading) reading.then(close, close);
  else close();
}
