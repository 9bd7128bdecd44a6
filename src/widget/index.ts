// sluice/widget, and the entry of the single-file bundle the progress server serves at /widget/sluice-progress.js.
import { defineSluiceProgress, SluiceProgressElement } from './element.js';

// Served by a Sluice server, the bundle talks to that same server unless `base-url` says otherwise.
const served = /\/widget\/sluice-progress\.js(\?.*)?$/.exec(import.meta.url);
if (served) SluiceProgressElement.defaultBaseUrl = new URL('../', import.meta.url).href;

defineSluiceProgress();

export { defineSluiceProgress, SluiceProgressElement };
export type { WidgetState } from './view.js';
