/** One text file under the root. */
export interface FileRecord {
  /** Path relative to the root, with `/` separators on every platform. */
  path: string;
  size: number;
  /** Last modification time, ISO 8601. Not part of the hash: touching a file is not a change. */
  modifiedAt: string;
  text: string;
}

/** Connector-wide settings; each stream's params still override the defaults. */
export interface FilesConnectorOptions {
  /** Directory a relative `root` is resolved against. Default: `process.cwd()` at read time. */
  cwd?: string;
  /** List with git (respecting .gitignore) when the root is inside a work tree. Default: true. */
  useGit?: boolean;
  /** Ignore globs used when a stream sets no `ignore`. Default: node_modules/**, .git/**, dist/**. */
  defaultIgnore?: string[];
  /** Default size limit for a file to be read. Default: 256 KiB. */
  maxFileBytes?: number;
  /** Default number of paths per page. Default: 200. */
  pageSize?: number;
}
