// Part of `npm run build`: writes the widget bundle the installed package serves (src/widget/bundle.ts reads it).
import { mkdir, writeFile } from 'node:fs/promises';
import { bundleWidget } from '../src/widget/bundle.js';

const out = new URL('../dist/widget/sluice-progress.js', import.meta.url);
await mkdir(new URL('./', out), { recursive: true });
const script = await bundleWidget();
await writeFile(out, script);
console.log(`widget: dist/widget/sluice-progress.js (${(script.length / 1024).toFixed(1)} kB)`);
