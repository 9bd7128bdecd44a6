/** The words of a text (letters, digits, apostrophes, hyphens), punctuation dropped. */
export function wordsOf(text: string): string[] {
  return text.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [];
}
