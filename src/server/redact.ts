/**
 * What browsers see of an error text: a failed run's `error` and a failed item's `reason` can name
 * host paths (a file that could not be read) and carry an upstream's answer (an HTML error page, a
 * JSON body). Browsers get absolute paths as their last segment and upstream bodies cut; the CLI,
 * `sluice.status()` and the logs keep the full text.
 */
import type { ItemFailure, ProgressEntry, RunSnapshot } from '../progress/events.js';

/** An absolute POSIX path (not the path of a URL: no `:` or `/` right before it), or a Windows one. */
const ABSOLUTE_PATH = /(?<![\w:/.~-])(?:\/[^\s/'"`:;,()<>[\]{}]+){2,}\/?|\b[A-Za-z]:\\[^\s'"`:;,()<>[\]{}]+/g;
/** A body after the text that introduces it: `failed (500): {"message": ...}` or `: <!DOCTYPE html>...`. */
// An HTML body starts like a document; other text with a `<` (a record's own content) stays, as
// text: the widget never renders it as markup.
const BODY = /:\s*(?:[{[]|<(?:!doctype|html|\?xml|head|body)\b)[\s\S]*$/i;
const MAX_CHARS = 300;

export function redactText(text: string): string {
  let out = text.replace(BODY, ': [response body removed]');
  out = out.replace(ABSOLUTE_PATH, (path) => {
    const last = path.split(/[\\/]/).filter(Boolean).at(-1);
    return last ? `<path>/${last}` : '<path>';
  });
  return out.length > MAX_CHARS ? `${out.slice(0, MAX_CHARS)}…` : out;
}

export function redactRun<R extends RunSnapshot>(run: R): R {
  return run.error === undefined ? run : { ...run, error: redactText(run.error) };
}

export function redactFailure<F extends ItemFailure>(failure: F): F {
  return { ...failure, reason: redactText(failure.reason) };
}

export function redactEntry(entry: ProgressEntry): ProgressEntry {
  if (entry.type === 'item.failed') return { ...entry, item: redactFailure(entry.item) };
  return { ...entry, run: redactRun(entry.run) };
}
