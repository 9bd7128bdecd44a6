import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import type { SluiceConfig } from './define-config.js';
import { ConfigError, validateConfig } from './validate.js';

export const CONFIG_NAMES = ['sluice.config.ts', 'sluice.config.mts', 'sluice.config.js', 'sluice.config.mjs'];

/** Finds sluice.config.* in `cwd` or its parents, the way other TypeScript tools find theirs. */
export function findConfig(cwd = process.cwd()): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) if (existsSync(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) return undefined;
  }
}

/** Loads a config file (TypeScript or JavaScript) and validates it before anything is enqueued. */
export async function loadConfig(path?: string): Promise<{ config: SluiceConfig; file: string }> {
  const file = path ? resolve(path) : findConfig();
  if (!file) {
    throw new ConfigError(`No Sluice config found: create sluice.config.ts (export default defineConfig({ pipelines: [...] })) or pass --config <file>`);
  }
  if (!existsSync(file)) throw new ConfigError(`Config file not found: ${path}`);
  const shown = relative(process.cwd(), file) || file;
  let loaded: unknown;
  try {
    // Run from TypeScript sources, a TS loader (tsx) is active: importing the config natively reuses
    // the modules already loaded instead of transpiling Sluice a second time (seconds per process).
    // Anything that fails natively is loaded by jiti as before.
    const jiti = createJiti(import.meta.url, { moduleCache: false, alias: selfAliases(), tryNative: import.meta.url.endsWith('.ts') });
    loaded = await jiti.import(file, { default: true });
  } catch (error) {
    if (error instanceof Error && /Invalid (pipeline|Sluice config)/.test(error.message)) {
      // defineConfig() validates without knowing its file; name it here.
      error.message = error.message.replace(/^Invalid Sluice config:/, `Invalid Sluice config in ${shown}:`);
      throw error;
    }
    throw new ConfigError(`Could not load ${shown}: ${error instanceof Error ? error.message : String(error)}`);
  }
  validateConfig(loaded, shown);
  return { config: loaded as SluiceConfig, file };
}

/** The package's entries besides the root and the connectors, each a folder of src/ with an index. */
const ENTRIES = ['runtime', 'server', 'testing', 'client', 'react', 'widget'];

/**
 * A config's `import ... from 'sluice'` resolves to the very copy of Sluice that is running,
 * in a checkout (TypeScript sources) as in an installed package (built JavaScript). Connectors are
 * read from the connectors folder, so a new one needs no entry here.
 */
function selfAliases(): Record<string, string> {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const aliases: Record<string, string> = {};
  for (const entry of readdirSync(join(root, 'connectors'), { withFileTypes: true })) {
    const index = join(root, 'connectors', entry.name, `index.${ext}`);
    if (entry.isDirectory() && existsSync(index)) aliases[`sluice/connectors/${entry.name}`] = index;
  }
  for (const entry of ENTRIES) aliases[`sluice/${entry}`] = join(root, 'src', entry, `index.${ext}`);
  // jiti matches by prefix and tries the aliases with more path segments first.
  aliases.sluice = join(root, 'src/index.' + ext);
  return aliases;
}
