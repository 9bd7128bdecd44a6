import { defineConnector } from 'sluice';
import { filesStream } from './stream.js';
import type { FilesConnectorOptions } from './params.js';

export type { FileRecord } from './read-file.js';
export type { FilesConnectorOptions, FilesParams } from './params.js';
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
