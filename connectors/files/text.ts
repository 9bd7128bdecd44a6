// Binary sniffing window, as git and most editors do: a NUL byte early on means "not text".
const SNIFF_BYTES = 8 * 1024;

/** The file's text, or undefined when it is binary or not valid UTF-8 (such files are skipped). */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) return undefined;
  try {
    // `fatal` rejects invalid sequences instead of silently inserting U+FFFD.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
