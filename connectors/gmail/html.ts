/**
 * HTML bodies to readable text with html-to-text, bounded: a newsletter of 10 MB of nested tables
 * must not hold a worker for seconds, so input length and tree shape are capped.
 */
import { convert } from 'html-to-text';

/**
 * Characters of HTML converted; the rest is dropped. html-to-text costs about 2 s per MB of nested
 * markup, and the text body is capped at 64 KiB anyway.
 */
export const MAX_HTML_CHARS = 256 * 1024;

const options = {
  wordwrap: false as const,
  limits: { maxInputLength: MAX_HTML_CHARS, maxDepth: 64, maxChildNodes: 2000, ellipsis: '…' },
  selectors: [
    // Links keep their target only when it adds something; images carry no text worth reading.
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false } },
    { selector: 'img', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
  ],
};

/** `truncated`: the HTML was longer than MAX_HTML_CHARS and only its start was read. */
export function htmlToText(html: string): { text: string; truncated: boolean } {
  const truncated = html.length > MAX_HTML_CHARS;
  return { text: convert(truncated ? html.slice(0, MAX_HTML_CHARS) : html, options).trim(), truncated };
}
