/**
 * Orders Redis stream ids (`<ms>-<seq>`) numerically: string order is wrong ("9-0" > "10-0").
 * Returns undefined when either is not a stream id, so callers can fall back to equality.
 */
export function compareStreamIds(a: string, b: string): number | undefined {
  const left = parse(a);
  const right = parse(b);
  if (!left || !right) return undefined;
  return left[0] - right[0] || left[1] - right[1];
}

function parse(id: string): [number, number] | undefined {
  const match = /^(\d+)-(\d+)$/.exec(id);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}
