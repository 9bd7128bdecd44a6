import { dataNodes, type RedisClient } from '../../store/redis.js';

/** One bounded stretch of a SCAN: the keys it found and where the next stretch starts (null: done). */
export interface ScanPage {
  keys: string[];
  cursor: string | null;
}

/**
 * A SCAN cursor as given by a client: Redis's own decimal cursor, prefixed on a cluster with the
 * index of the master it belongs to (`2-1536`), since SCAN walks one node at a time.
 */
export const SCAN_CURSOR = /^(?:\d{1,3}-)?\d{1,20}$/;

/**
 * SCANs from `cursor` until `wanted` keys matched `pattern` or `maxCalls` calls were made, whichever
 * comes first: an admin listing costs a bounded amount of Redis work per request, never a KEYS over
 * the whole keyspace. One call's matches are kept whole (a SCAN cannot resume inside a call), so a
 * stretch holds at most `wanted` + COUNT - 1 keys; COUNT is `wanted` (at least 10). A stretch may
 * also be empty with a cursor to go on from, where matching keys are sparse.
 */
export async function scanKeys(redis: RedisClient, pattern: string, options: { cursor?: string; wanted: number; maxCalls?: number }): Promise<ScanPage> {
  const found = new Set<string>();
  // Masters in a stable order (by address), so a cursor names the same node on the next request.
  const nodes = dataNodes(redis).sort((a, b) => address(a).localeCompare(address(b)));
  let [node, cursor] = parseCursor(options.cursor ?? '0');
  const maxCalls = options.maxCalls ?? 100;
  for (let call = 0; call < maxCalls && node < nodes.length; call++) {
    const [next, keys] = await nodes[node]!.scan(cursor, 'MATCH', pattern, 'COUNT', Math.max(10, options.wanted));
    for (const key of keys) found.add(key);
    cursor = next;
    if (cursor === '0') node += 1;
    if (found.size >= options.wanted) break;
  }
  const done = node >= nodes.length;
  return { keys: [...found], cursor: done ? null : node === 0 ? cursor : `${node}-${cursor}` };
}

function parseCursor(text: string): [node: number, cursor: string] {
  const dash = text.indexOf('-');
  return dash < 0 ? [0, text] : [Number(text.slice(0, dash)), text.slice(dash + 1)];
}

const address = (node: { options: { host?: string; port?: number } }): string => `${node.options.host}:${node.options.port}`;

/** `text` matched literally inside a SCAN MATCH pattern. */
export const globLiteral = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');
