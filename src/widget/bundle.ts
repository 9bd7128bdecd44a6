import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

let cached: Promise<string> | undefined;

/**
 * The `<sluice-progress>` widget as one self-contained ES module, for the progress server to serve.
 * From a checkout (running the .ts sources) it is bundled on first use with esbuild and kept in memory;
 * from the installed package it is the file `npm run build` wrote, so esbuild is not needed at run time.
 */
export async function widgetScript(): Promise<string> {
  cached ??= (import.meta.url.endsWith('.ts') ? bundleWidget() : readBuiltWidget()).catch((error: unknown) => {
    cached = undefined; // let a later request try again
    throw error;
  });
  return cached;
}

/** Bundles src/widget/index.ts; the build writes the same output to dist/widget/sluice-progress.js. */
export async function bundleWidget(options: { minify?: boolean } = {}): Promise<string> {
  const esbuild = await import('esbuild'); // a devDependency: only a checkout gets here
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    legalComments: 'none',
    write: false,
  });
  return result.outputFiles[0]!.text;
}

async function readBuiltWidget(): Promise<string> {
  // dist/src/widget/bundle.js -> dist/widget/sluice-progress.js
  const file = new URL('../../widget/sluice-progress.js', import.meta.url);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`The widget bundle is missing at ${fileURLToPath(file)}: run \`npm run build\`.`, { cause: error });
  }
}
