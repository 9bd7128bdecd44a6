/**
 * Imports one module in this fresh process and prints, as JSON, the heap it added and every module
 * loaded on the way: ESM URLs as a resolve hook sees them, CommonJS files from require.cache.
 *
 *   node --expose-gc [--import tsx] test/support/import-probe.mjs <specifier-or-path> [export-name]
 */
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

// The hook runs on the loader thread; this module asks it for its list through a special specifier,
// which it can only answer after every earlier resolution.
const hook = `
const seen = new Set();
export async function resolve(specifier, context, next) {
  if (specifier === 'sluice-probe:loaded') return { url: 'sluice-probe:loaded', shortCircuit: true };
  const result = await next(specifier, context);
  seen.add(result.url);
  return result;
}
export async function load(url, context, next) {
  if (url === 'sluice-probe:loaded') return { format: 'module', source: 'export default ' + JSON.stringify([...seen]), shortCircuit: true };
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const [target, name] = process.argv.slice(2);
if (!target) throw new Error('usage: import-probe.mjs <specifier-or-path> [export-name]');
const url = target.startsWith('.') || target.startsWith('/') ? pathToFileURL(target).href : target;

const heap = () => (globalThis.gc?.(), process.memoryUsage().heapUsed);
const before = heap();
const mod = await import(url);
if (name && !(name in mod)) throw new Error(`${target} does not export ${name}`);
const after = heap();
const { default: esm } = await import('sluice-probe:loaded');
const cjs = Object.keys(createRequire(import.meta.url).cache).map((file) => pathToFileURL(file).href);
console.log(JSON.stringify({ heapDelta: after - before, modules: [...new Set([...esm, ...cjs])] }));
