import { comparePaths } from './list.js';

/**
 * Where the next page starts. `after` (the last path handed out) is what counts: the listing is
 * redone on each page call, and resuming after a path rather than at an offset means a file
 * added or deleted between pages neither skips nor repeats another. `offset` is kept for logs.
 */
export interface FilesCursor {
  offset: number;
  after?: string;
}

export function encodeCursor(cursor: FilesCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | undefined): FilesCursor {
  if (raw === undefined) return { offset: 0 };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch (error) {
    throw new Error(`files: malformed cursor "${raw}"`, { cause: error });
  }
  const { offset, after } = (value ?? {}) as Partial<FilesCursor>;
  if (!Number.isInteger(offset) || (offset as number) < 0 || (after !== undefined && typeof after !== 'string')) {
    throw new Error(`files: malformed cursor "${raw}"`);
  }
  return after === undefined ? { offset: offset as number } : { offset: offset as number, after };
}

/** Index of the first path of the page in the sorted listing `paths`. */
export function startIndex(paths: readonly string[], cursor: FilesCursor): number {
  if (cursor.after === undefined) return Math.min(cursor.offset, paths.length);
  const after = cursor.after;
  // Binary search for the first path sorting strictly after `after`.
  let low = 0;
  let high = paths.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (comparePaths(paths[middle] as string, after) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
