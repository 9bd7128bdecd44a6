/**
 * Fails when the import graph breaks Sluice's layering: an import from a lower layer into a higher
 * one, or an import cycle between files or between folders. Imports are resolved by the TypeScript
 * compiler itself (`tsc --traceResolution`), type-only imports included.
 *
 *   tsx scripts/check-structure.ts          prints violations, exit code 1 if any
 */
import { execFileSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * Layers, lowest first. A file may import its own folder and any folder of a strictly lower layer;
 * folders on the same layer do not import each other.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['src/errors', 'src/util'],
  ['src/store', 'src/progress/events'],
  ['src/progress/eta'],
  ['src/connector', 'src/limiter', 'src/progress', 'src/sinks', 'src/auth', 'src/client'],
  ['src/pipeline', 'src/react', 'src/widget'],
  ['src/llm', 'src/mock-llm'],
  ['src/config'],
  // The light root entry ('sluice'): the public API the bundled connectors are written against.
  ['src/index'],
  ['connectors'],
  ['src/runtime'],
  ['src/server', 'src/testing'],
  ['src/cli'],
];

export interface Edge {
  from: string;
  to: string;
}

/** Every import between project files, as the compiler resolves it. */
export function importEdges(): Edge[] {
  const out = execFileSync(resolve(ROOT, 'node_modules/.bin/tsc'), ['--noEmit', '-p', 'tsconfig.json', '--traceResolution'], {
    cwd: ROOT,
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const edges: Edge[] = [];
  let pending: { name: string; from: string } | undefined;
  for (const line of out.split('\n')) {
    const start = /^======== Resolving module '(.+)' from '(.+)'\. ========$/.exec(line);
    if (start) {
      pending = { name: start[1]!, from: start[2]! };
      continue;
    }
    const done = /^======== Module name '(.+)' was successfully resolved to '(.+)'(?:.*)\. ========$/.exec(line);
    if (done && pending && done[1] === pending.name) {
      const to = done[2]!;
      if (!to.includes('/node_modules/')) edges.push({ from: rel(pending.from), to: rel(to) });
      pending = undefined;
    }
  }
  return dedupe(edges);
}

const rel = (path: string) => relative(ROOT, path).split('\\').join('/');

function dedupe(edges: Edge[]): Edge[] {
  const seen = new Map(edges.map((e) => [`${e.from}>${e.to}`, e]));
  return [...seen.values()];
}

/** The layered unit a file belongs to: the longest matching prefix in LAYERS, else none. */
export function unitOf(file: string): string | undefined {
  let best: string | undefined;
  for (const unit of LAYERS.flat()) {
    const matches = file === `${unit}.ts` || file.startsWith(`${unit}/`);
    if (matches && (!best || unit.length > best.length)) best = unit;
  }
  return best;
}

const layerOf = (unit: string) => LAYERS.findIndex((layer) => layer.includes(unit));

/** Imports that go up (or sideways) between layered units. */
export function upwardImports(edges: Edge[]): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const a = unitOf(from);
    const b = unitOf(to);
    if (!a || !b || a === b) continue;
    // A sub-unit (src/progress/events) is part of its parent folder's graph too.
    if (b.startsWith(`${a}/`) || a.startsWith(`${b}/`)) {
      if (layerOf(b) <= layerOf(a) || a.startsWith(`${b}/`)) continue;
    }
    if (layerOf(b) >= layerOf(a)) problems.push(`${from} imports ${to}: ${a} (layer ${layerOf(a)}) may not import ${b} (layer ${layerOf(b)})`);
  }
  return problems;
}

/** Strongly connected components with more than one node (Tarjan). */
export function cycles(nodes: Iterable<string>, next: (node: string) => Iterable<string>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of nodes) if (!indices.has(node)) visit(node);
  return found;
}

/** A concern's folder: `src/<concern>` or `connectors/<name>`; its sub-folders are its own business. */
const folderOf = (file: string) => file.split('/').slice(0, file.startsWith('pipelines/') ? 1 : 2).join('/').replace(/\.ts$/, '');

export function structureProblems(edges: Edge[] = importEdges()): string[] {
  const problems = upwardImports(edges);
  const productEdges = edges.filter((e) => isProduct(e.from) && isProduct(e.to));
  const byFile = group(productEdges.map((e) => [e.from, e.to]));
  for (const cycle of cycles(byFile.keys(), (n) => byFile.get(n) ?? [])) problems.push(`file import cycle: ${cycle.join(' -> ')}`);
  const byFolder = group(productEdges.map((e) => [folderOf(e.from), folderOf(e.to)]).filter(([a, b]) => a !== b) as [string, string][]);
  for (const cycle of cycles(byFolder.keys(), (n) => byFolder.get(n) ?? [])) problems.push(`folder import cycle: ${cycle.join(' <-> ')}`);
  return problems;
}

/** The shipped code: the framework and its connectors (tests and benches may reach anywhere). */
const isProduct = (file: string) => file.startsWith('src/') || file.startsWith('connectors/') || file.startsWith('pipelines/');

function group(pairs: [string, string][]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const [a, b] of pairs) {
    if (!map.has(a)) map.set(a, new Set());
    if (!map.has(b)) map.set(b, new Set());
    map.get(a)!.add(b);
  }
  return map;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = structureProblems();
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} structure problem(s)` : 'structure ok: no upward imports, no cycles');
  process.exitCode = problems.length ? 1 : 0;
}
