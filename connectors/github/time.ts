/** ISO timestamps compared as instants: GitHub writes "…:00Z", Date writes "…:00.000Z", so strings do not compare. */

export function latest(times: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const time of times) if (best === undefined || Date.parse(time) > Date.parse(best)) best = time;
  return best;
}

export function earliest(times: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const time of times) if (best === undefined || Date.parse(time) < Date.parse(best)) best = time;
  return best;
}

/** GitHub's own format, to the second. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
