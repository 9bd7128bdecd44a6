import type { LatencySetting } from './types.js';

/** A well-mixed 32-bit hash of a request number, so latencies look random but repeat exactly. */
function mix(n: number): number {
  let x = (n + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The latency of the n-th admitted request: fixed, or spread over [min, max] by n. */
export function latencyFor(n: number, setting: LatencySetting | undefined): number {
  if (setting === undefined) return 0;
  if (typeof setting === 'number') return setting;
  return setting.min + (mix(n) % (setting.max - setting.min + 1));
}

/**
 * Whether the n-th admitted request (from 1) fails at this rate: failures are spread evenly, so
 * after n requests exactly floor(n * rate) have failed (0.25 fails the 4th, 8th, ...).
 */
export function failsAt(n: number, rate: number | undefined): boolean {
  if (!rate) return false;
  return Math.floor(n * rate + 1e-9) > Math.floor((n - 1) * rate + 1e-9);
}
