import { describe, expect, it } from 'vitest';
import { cycles, structureProblems, upwardImports, type Edge } from '../scripts/check-structure.js';

describe('the import graph', () => {
  it('has no upward import between layers and no file or folder cycle (resolved by tsc)', () => {
    expect(structureProblems()).toEqual([]);
  }, 120_000);

  it('the checker itself flags an upward import and a cycle', () => {
    const edges: Edge[] = [
      { from: 'src/store/keys.ts', to: 'src/runtime/sluice.ts' },
      { from: 'src/runtime/sluice.ts', to: 'src/store/keys.ts' },
    ];
    expect(upwardImports(edges)).toHaveLength(1);
    expect(cycles(['a', 'b', 'c'], (n) => ({ a: ['b'], b: ['a'], c: [] })[n] ?? [])).toEqual([['a', 'b']]);
  });
});
