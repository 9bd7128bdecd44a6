/**
 * Quoted reply history: a reply repeats the whole thread below "On … wrote:", so a thread of 20
 * replies would hold its first message 20 times. The history is cut at the first attribution line
 * or block of "> " lines that runs to the end; quotes interleaved with new text are kept (they are
 * the reply's context), only their trailing history goes.
 */

// Gmail/Apple ("On Tue, 3 Mar 2026 at 10:00, Ann <a@x> wrote:"), possibly wrapped over two lines,
// and the common localisations of it.
const ATTRIBUTION = /^(on\b.{0,200}\bwrote:|le\b.{0,200}\ba écrit\s*:|am\b.{0,200}\bschrieb\b.{0,200}:|el\b.{0,200}\bescribió:)\s*$/i;
// Outlook's separators, and forwards kept (a forward is content, not history).
const OUTLOOK = /^(-{2,}\s*original message\s*-{2,}|_{10,})\s*$/i;
const OUTLOOK_HEADER = /^from:\s.+$/i;
const OUTLOOK_SENT = /^(sent|date):\s.+$/i;

export interface StrippedText {
  text: string;
  stripped: boolean;
}

export function stripQuotedHistory(text: string): StrippedText {
  const lines = text.split('\n');
  let cut = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const joined = i + 1 < lines.length ? `${line} ${lines[i + 1]!.trim()}` : line;
    if (ATTRIBUTION.test(line) || (/^on\b/i.test(line) && ATTRIBUTION.test(joined))) {
      if (restIsQuoteOrEmpty(lines, i + (ATTRIBUTION.test(line) ? 1 : 2))) {
        cut = i;
        break;
      }
    }
    if (OUTLOOK.test(line) || (OUTLOOK_HEADER.test(line) && OUTLOOK_SENT.test(lines[i + 1]?.trim() ?? ''))) {
      cut = i;
      break;
    }
    if (line.startsWith('>') && restIsQuoteOrEmpty(lines, i)) {
      cut = i;
      break;
    }
  }
  if (cut < 0) return { text, stripped: false };
  return { text: lines.slice(0, cut).join('\n').trimEnd(), stripped: true };
}

/** Everything from `from` on is quoted ("> ") or blank: the reply's own text has ended. */
function restIsQuoteOrEmpty(lines: string[], from: number): boolean {
  let quoted = 0;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (!line.startsWith('>')) return false;
    quoted++;
  }
  return quoted > 0;
}
