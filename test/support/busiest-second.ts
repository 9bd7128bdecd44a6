/** The most grants (times in ms, sorted) that fall within any one-second window. */
export function busiestSecond(sortedGrants: readonly number[]): number {
  let worst = 0;
  for (let i = 0, j = 0; i < sortedGrants.length; i++) {
    while (sortedGrants[j]! < sortedGrants[i]! - 999) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}
