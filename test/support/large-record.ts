/** A record value that is recognisable and exactly `bytes` long, so a torn or mixed line shows. */
export function largeRecordValue(worker: number, n: number, bytes: number): string {
  const head = `${worker}:${n}:`;
  return head + String.fromCharCode(97 + ((worker * 7 + n) % 26)).repeat(bytes - head.length);
}
