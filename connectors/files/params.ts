import { z } from 'zod';

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
  /**
   * Deadline of one file read, in ms: a read that has not finished by then (a hung network mount)
   * fails that file ("timed out after N s") and the page goes on. Default: 30 000.
   */
  readTimeoutMs?: number;
}

export const DEFAULT_IGNORE: readonly string[] = ['node_modules/**', '.git/**', 'dist/**'];
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024;
export const DEFAULT_PAGE_SIZE = 200;
export const DEFAULT_READ_TIMEOUT_MS = 30_000;

/**
 * Every field is optional in the schema, defaults are applied at read time: a schema default
 * would make the field required in the parsed type, and then `files.files()` would demand it.
 * `root` is optional here only because it may come from the run input instead, when `allowInputRoot` says so.
 */
export const filesParamsSchema = z.object({
  root: z.string().min(1).optional(),
  /**
   * Lets the run input name the root (`input.root`), only inside these folders (real paths,
   * symlinks resolved). Without it a root from the input is refused: the input may come from a browser.
   */
  allowInputRoot: z.object({ under: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }).optional(),
  include: z.array(z.string().min(1)).optional(),
  ignore: z.array(z.string().min(1)).optional(),
  maxFileBytes: z.number().int().positive().optional(),
  pageSize: z.number().int().positive().max(10_000).optional(),
});

export type FilesParams = z.infer<typeof filesParamsSchema>;

/** Params with every default filled in, ready for one page read. */
export interface ResolvedSettings {
  include: string[] | undefined;
  ignore: string[];
  maxFileBytes: number;
  pageSize: number;
  useGit: boolean;
  readTimeoutMs: number;
}

export function resolveSettings(params: FilesParams, options: FilesConnectorOptions): ResolvedSettings {
  return {
    include: params.include,
    ignore: params.ignore ?? options.defaultIgnore ?? [...DEFAULT_IGNORE],
    maxFileBytes: params.maxFileBytes ?? options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    pageSize: params.pageSize ?? options.pageSize ?? DEFAULT_PAGE_SIZE,
    useGit: options.useGit ?? true,
    readTimeoutMs: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
  };
}
