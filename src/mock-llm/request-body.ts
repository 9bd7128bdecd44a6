import type { z } from 'zod';
import { invalidRequest, unparseableJson } from './errors.js';

/** `messages[0].content`, the way OpenAI names a parameter in its errors. */
function paramName(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let node = body;
  for (const key of path) node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

/** Parses a JSON body against a schema; anything wrong becomes OpenAI's 400 naming the parameter. */
export function parseBody<T>(raw: string, schema: z.ZodType<T>): T {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw unparseableJson();
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('The request body must be a JSON object.');
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = paramName(issue.path);
  if (issue.path.length > 0 && valueAt(body, issue.path) === undefined) {
    throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  }
  if (issue.code === 'invalid_type') throw invalidRequest(`Invalid type for '${param}': ${issue.message}.`, param, 'invalid_type');
  throw invalidRequest(`Invalid value for '${param || 'body'}': ${issue.message}.`, param || null, 'invalid_value');
}
