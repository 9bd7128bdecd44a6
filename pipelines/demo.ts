import { definePipeline } from 'sluice';
import { files } from 'sluice/connectors/files';

const PASSAGE_CHARS = 1500;

/**
 * The demo: ingest a folder (by default the current one) into passages ready for retrieval.
 * Start it with `--input '{"root":"path/to/folder"}'` to ingest another folder.
 */
export const demoPipeline = definePipeline({
  id: 'demo-files',
  description: 'Text files of a folder, split into passages',
  source: files.files({ ignore: ['node_modules/**', '.git/**', 'dist/**', 'package-lock.json', '.sluice/**'] }),
  sharding: { batchSize: 25 },
  steps: (records) =>
    records
      .filter((file) => file.text.trim().length > 0)
      .flatMap((file) =>
        splitPassages(file.text).map((text, n, all) => ({
          path: file.path,
          passage: `${n + 1}/${all.length}`,
          title: file.text.split('\n', 1)[0]!.slice(0, 120),
          words: text.split(/\s+/).filter(Boolean).length,
          text,
        })),
      ),
});

/** Splits on blank lines, packing paragraphs into passages of at most PASSAGE_CHARS. */
function splitPassages(text: string): string[] {
  const passages: string[] = [];
  let current = '';
  for (const paragraph of text.split(/\n\s*\n/)) {
    if (current && current.length + paragraph.length > PASSAGE_CHARS) {
      passages.push(current);
      current = '';
    }
    current = current ? `${current}\n\n${paragraph}` : paragraph;
    while (current.length > PASSAGE_CHARS) {
      passages.push(current.slice(0, PASSAGE_CHARS));
      current = current.slice(PASSAGE_CHARS);
    }
  }
  if (current) passages.push(current);
  return passages;
}
