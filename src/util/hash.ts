import { createHash } from 'node:crypto';

/** Stable content hash: JSON with sorted keys, so key order never changes a hash. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('base64url').slice(0, 22);
}

export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}
