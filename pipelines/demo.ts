import { definePipeline, summarize } from 'sluice';
import { files } from 'sluice/connectors/files';

const PASSAGE_CHARS = 1500;

/**
 * The demo: ingest a folder into passages ready for retrieval, each carrying an LLM summary of its
 * file. Start it with `--input '{"root":"path/to/folder"}'`: the folder must be inside the current
 * one (the worker's), never elsewhere on the host. Without OPENAI_API_KEY, `npm run demo` points
 * the LLM step at `sluice mock-llm`.
 */
export const demoPipeline = definePipeline({
  id: 'demo-files',
  description: 'Text files of a folder, summarised and split into passages',
  version: '3',
  source: files.files({ allowInputRoot: { under: '.' }, ignore: ['node_modules/**', '.git/**', 'dist/**', 'package-lock.json', '.sluice/**'] }),
  sharding: { batchSize: 25 },
  steps: (records) =>
    records
      .filter((file) => file.text.trim().length > 0)
      // The head of a file says what it is about; summarising only that keeps the demo quick and cheap.
      .pipe(summarize({ model: 'gpt-4o-mini', text: (file) => `${file.path}\n\n${file.text.slice(0, 1000)}`, maxTokens: 60 }))
      .flatMap((file) =>
        splitPassages(file.text).map((text, n, all) => ({
          path: file.path,
          passage: `${n + 1}/${all.length}`,
          fileSummary: file.summary,
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
