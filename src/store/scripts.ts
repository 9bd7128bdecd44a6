import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis.js';

/** Lua files live in src/lua; `-- @include name` pulls in a shared snippet from the same folder. */
const scripts = new Map<string, { source: string; sha: string }>();

/** The name of a script loaded in this process, by its SHA (for counting Redis calls by script). */
export function scriptNameOf(sha: string): string | undefined {
  for (const [name, script] of scripts) if (script.sha === sha) return name;
  return undefined;
}

function load(name: string): { source: string; sha: string } {
  let script = scripts.get(name);
  if (!script) {
    const source = expand(name, new Set());
    script = { source, sha: createHash('sha1').update(source).digest('hex') };
    scripts.set(name, script);
  }
  return script;
}

function expand(name: string, seen: Set<string>): string {
  if (seen.has(name)) throw new Error(`Lua include cycle at ${name}`);
  seen.add(name);
  const text = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
  return text.replace(/^-- @include (\S+)$/gm, (_, include: string) => expand(include, seen));
}

/** Runs a script by SHA, loading it once per server (after a restart or a failover too). */
export async function runScript<T = unknown>(
  redis: RedisClient,
  name: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<T> {
  const { source, sha } = load(name);
  try {
    return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as T;
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return (await redis.eval(source, keys.length, ...keys, ...args)) as T;
  }
}
