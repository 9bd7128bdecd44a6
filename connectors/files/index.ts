import { defineConnector } from 'sluice';
import { filesStream } from './stream.js';
import type { FilesConnectorOptions } from './types.js';

export type { FileRecord, FilesConnectorOptions } from './types.js';
export type { FilesParams } from './params.js';
export { DEFAULT_IGNORE, DEFAULT_MAX_FILE_BYTES, DEFAULT_PAGE_SIZE } from './params.js';

/** Text files of a local directory; a git work tree is listed by git, so .gitignore applies. */
export function createFilesConnector(options: FilesConnectorOptions = {}) {
  return defineConnector({
    id: 'files',
    streams: { files: filesStream(options) },
  });
}

/** Ready-made connector with the defaults: `files.files({ root: './docs' })`. */
export const files = createFilesConnector();
