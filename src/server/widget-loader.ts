import { fileURLToPath } from 'node:url';
import { SluiceError } from '../errors/index.js';

/** The widget bundle is not part of this build: GET /widget/sluice-progress.js answers 404. */
export class WidgetMissingError extends SluiceError {
  readonly kind = 'run-fatal';
  readonly code = 'widget_missing';
}

/** Next to this folder in both the sources (src/widget) and the build (dist/src/widget). */
const BUNDLE = '../widget/bundle.js';

/**
 * A `widgetScript` for the server that imports the widget bundle on first request. The bundle
 * exports its script source as `widgetScript` (or default): a string, or a function returning one.
 * A build without the bundle still serves everything else.
 */
export function bundledWidgetScript(specifier = BUNDLE, base = import.meta.url): () => Promise<string> {
  let loaded: Promise<string> | undefined;
  return () => (loaded ??= load(specifier, base).catch((error: unknown) => {
    loaded = undefined; // try again next request: the bundle may be built meanwhile
    throw error;
  }));
}

async function load(specifier: string, base: string): Promise<string> {
  const url = new URL(specifier, base).href;
  let module: { widgetScript?: unknown; default?: unknown };
  try {
    module = (await import(url)) as typeof module;
  } catch (error) {
    if (isMissing(error, url)) throw new WidgetMissingError(`no widget bundle at ${fileURLToPath(url)}`);
    throw error;
  }
  const source = module.widgetScript ?? module.default;
  const script = typeof source === 'function' ? await (source as () => unknown)() : source;
  if (typeof script !== 'string') throw new TypeError(`${fileURLToPath(url)} must export widgetScript: a string or () => Promise<string>`);
  return script;
}

/** Only the bundle itself being absent counts; a bundle whose own import fails is a real error. */
function isMissing(error: unknown, url: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_LOAD_URL') return false;
  const path = fileURLToPath(url);
  return !message || message.includes(path) || message.includes(path.replace(/\.js$/, ''));
}
