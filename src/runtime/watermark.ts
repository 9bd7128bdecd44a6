import { SourceResponseError } from '../connector/errors.js';
import type { WatermarkOrder } from '../connector/types.js';

/**
 * A watermark's order key, so Lua compares numbers, not bytes ('10000000' < '9999999' as bytes;
 * '…00.000Z' and '…00Z' are the same instant). Timestamps become epoch ms, numbers stay integers;
 * both fit a double exactly. A watermark that does not parse fails the page: storing it would
 * corrupt every later sync's `since`.
 */
export function watermarkKey(connector: string, order: WatermarkOrder, watermark: string): number {
  if (order === 'number') {
    const key = /^-?\d+$/.test(watermark.trim()) ? Number(watermark) : NaN;
    if (!Number.isSafeInteger(key)) throw new SourceResponseError(`${connector}: watermark "${watermark.slice(0, 80)}" is not an integer`, connector);
    return key;
  }
  const key = Date.parse(watermark);
  if (Number.isNaN(key)) throw new SourceResponseError(`${connector}: watermark "${watermark.slice(0, 80)}" is not a timestamp`, connector);
  return key;
}
