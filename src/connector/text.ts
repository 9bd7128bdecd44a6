const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a file's bytes, or undefined when it is binary: a NUL byte anywhere, or not valid
 * UTF-8 (`fatal` rejects invalid sequences instead of inserting U+FFFD). The whole buffer is scanned,
 * not a leading window: the UTF-8 check reads every byte anyway, and a NUL past the first KiBs
 * (a binary format with a text header) must not slip through as text.
 */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
