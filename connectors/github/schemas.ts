/**
 * Raw GitHub payloads, validated with the few fields we use (unknown fields are dropped).
 * A payload that does not fit fails the page with a message naming the endpoint and the field.
 */
import { z } from 'zod';
import { responseError } from './errors.js';
import { describe } from './client.js';

const iso = z.string().min(1);
/** `user` is null for deleted accounts ("ghost"). */
const user = z.object({ login: z.string() }).nullable();

export const rawRepo = z.object({
  full_name: z.string().regex(/^[^/]+\/[^/]+$/),
  description: z.string().nullable(),
  default_branch: z.string().min(1),
  private: z.boolean(),
  language: z.string().nullable(),
  updated_at: iso,
  html_url: z.string(),
});
export type RawRepo = z.infer<typeof rawRepo>;

export const rawTree = z.object({
  sha: z.string(),
  truncated: z.boolean(),
  tree: z.array(
    z.object({
      path: z.string(),
      mode: z.string(),
      type: z.string(),
      sha: z.string(),
      /** Present for blobs only. */
      size: z.number().int().nonnegative().optional(),
    }),
  ),
});
export type RawTree = z.infer<typeof rawTree>;

export const rawBlob = z.object({
  sha: z.string(),
  size: z.number().int().nonnegative(),
  encoding: z.string(),
  content: z.string(),
});

/** GET /repos/{o}/{r}/readme. `encoding` is "none" (and content empty) above 1 MB. */
export const rawContent = z.object({
  path: z.string(),
  sha: z.string(),
  size: z.number().int().nonnegative(),
  encoding: z.string(),
  content: z.string(),
  html_url: z.string().nullable(),
});

/** GitHub documents labels as objects, or plain names in some payloads. */
const label = z.union([z.string(), z.object({ name: z.string() })]);

export const rawIssue = z.object({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.string(),
  labels: z.array(label),
  user,
  created_at: iso,
  updated_at: iso,
  comments: z.number().int().nonnegative(),
  comments_url: z.url(),
  html_url: z.string(),
  /** Set when the "issue" is a pull request: the issues endpoint lists both. */
  pull_request: z.unknown().optional(),
});
export type RawIssue = z.infer<typeof rawIssue>;

export const rawComment = z.object({
  user,
  body: z.string().nullish(),
  created_at: iso,
});
export type RawComment = z.infer<typeof rawComment>;

/** An item of the repo-wide comment listing: which issue it belongs to, and when it changed. */
export const rawRepoComment = z.object({
  issue_url: z.string(),
  created_at: iso,
  updated_at: iso,
});
export type RawRepoComment = z.infer<typeof rawRepoComment>;

export const rawPull = z.object({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.string(),
  merged_at: z.string().nullable(),
  user,
  created_at: iso,
  updated_at: iso,
  html_url: z.string(),
});
export type RawPull = z.infer<typeof rawPull>;

/** One object payload, or a SourceResponseError naming what was wrong. */
export function parseObject<S extends z.ZodType>(schema: S, data: unknown, endpoint: string): z.output<S> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw responseError(endpoint, `returned ${describe(data)} where an object was expected`);
  }
  const result = schema.safeParse(data);
  if (!result.success) throw responseError(endpoint, `returned an unexpected object: ${firstIssue(result.error)}`);
  return result.data;
}

/** A list payload; one bad item fails the page, naming its index and field. */
export function parseList<S extends z.ZodType>(schema: S, data: unknown, endpoint: string): z.output<S>[] {
  if (!Array.isArray(data)) {
    throw responseError(endpoint, `returned ${describe(data)} where a list was expected`);
  }
  return data.map((item, index) => {
    const result = schema.safeParse(item);
    if (!result.success) throw responseError(endpoint, `returned an unexpected item [${index}]: ${firstIssue(result.error)}`);
    return result.data;
  });
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const field = issue.path.length ? `"${issue.path.map(String).join('.')}"` : 'value';
  return `${field}: ${issue.message}`;
}
