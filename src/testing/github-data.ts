/**
 * Repositories for the fake GitHub server (github-server.ts): the seed shapes it loads, and a
 * deterministic generator of realistic ones (same options and seed, same bytes) for tests and
 * benchmarks. Sizes follow long-tailed distributions: most files are a few KiB, a few are far
 * above the connector's size limit; most issues have a short body and a handful of comments.
 */

export interface FileSeed {
  path: string;
  content: string | Uint8Array;
  /** Git file mode: '100644' (default), '100755' (executable) or '120000' (symlink: content is the target path). */
  mode?: '100644' | '100755' | '120000';
}

export interface CommentSeed {
  /** Login of the author; null for a deleted account ("ghost"). */
  user: string | null;
  body: string;
  created_at: string;
  /** Later than created_at when the comment was edited; defaults to created_at. */
  updated_at?: string;
}

export interface IssueSeed {
  /** Issues and pull requests share one numbering per repository, as on GitHub. */
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels?: string[];
  user: string | null;
  created_at: string;
  updated_at: string;
  closed_at?: string | null;
  comments?: CommentSeed[];
}

export interface PullSeed extends IssueSeed {
  merged_at?: string | null;
  draft?: boolean;
  /** Branch the pull request comes from. */
  head?: string;
}

export interface RepoSeed {
  owner: string;
  name: string;
  defaultBranch?: string;
  private?: boolean;
  description?: string | null;
  language?: string | null;
  created_at?: string;
  files?: FileSeed[];
  issues?: IssueSeed[];
  pulls?: PullSeed[];
}

export interface GenerateRepoOptions {
  owner: string;
  name: string;
  /** Files in the default branch (a README.md included). Default 200. */
  files?: number;
  issues?: number;
  pulls?: number;
  /** Mean comments per issue and per pull request; actual counts vary from 0 to twice this. Default 3. */
  commentsPerIssue?: number;
  seed?: number;
  /** Share of binary files (.png, .woff2, .jar): listed in the tree, never text. Default 0.03. */
  binaryShare?: number;
  /** Share of text files between 300 and 600 KiB, above the connector's default size limit. Default 0.005. */
  largeShare?: number;
  /** Activity spans [start, end]. Defaults: 2022-01-01 to 2024-06-01 UTC, fixed so datasets do not depend on the day. */
  start?: string;
  end?: string;
  defaultBranch?: string;
}

const WORDS = (
  'the a of to and in is for on with that this be by as are from or it at an not can when which ' +
  'request response stream record page cursor token limit batch worker queue retry timeout cache ' +
  'value config option error result client server handler event state update read write sync user ' +
  'index file path tree blob issue comment label branch commit merge review test build deploy ' +
  'fix add remove change support handle return parse check load save open close start stop run'
).split(' ');
const IDENTS = 'items entry count offset total next prev buffer chunk reader writer context options result key id name size'.split(' ');
const USERS = ['octocat', 'hubot', 'mona', 'defunkt', 'pjhyett', 'mojombo', 'tenderlove', 'ada', 'grace', 'linus', 'margaret', 'ken'];
const LABELS = ['bug', 'enhancement', 'documentation', 'question', 'good first issue', 'help wanted', 'performance', 'security'];
const DIRS = ['src', 'src/core', 'src/util', 'src/api', 'src/api/v1', 'lib', 'test', 'test/fixtures', 'docs', 'docs/guide', 'scripts', 'packages/cli/src', 'packages/web/src/components', 'examples'];
const TEXT_EXT = [
  ['.ts', 30],
  ['.js', 12],
  ['.md', 12],
  ['.json', 8],
  ['.py', 8],
  ['.go', 6],
  ['.css', 4],
  ['.yml', 4],
  ['.txt', 4],
  ['.sh', 2],
] as const;
const BINARY_EXT = ['.png', '.woff2', '.jar', '.ico'];

/** Mulberry32: small, fast, and the same sequence on every platform. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  /** Log-normal around `median`: the long tail real text sizes have. */
  const logNormal = (median: number, sigma: number) => {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const gaussian = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * gaussian);
  };
  return { next, int, pick, logNormal };
}
export type Random = ReturnType<typeof createRandom>;

/** Second-precision ISO time, the form GitHub writes: 2024-05-01T12:00:00Z. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Sentence and code-line pools, built once from a fixed seed: texts are picked from them, which is fast and still varied. */
let pools: { sentences: string[]; lines: Map<string, string[]> } | undefined;

function poolsOf() {
  if (pools) return pools;
  const random = createRandom(0x5eed);
  const sentences: string[] = [];
  for (let s = 0; s < 4096; s++) {
    const words: string[] = [];
    for (let i = random.int(6, 18); i > 0; i--) words.push(random.pick(WORDS));
    const first = words[0] ?? 'the';
    words[0] = first.charAt(0).toUpperCase() + first.slice(1);
    sentences.push(words.join(' ') + (random.next() < 0.15 ? '.\n\n' : '. '));
  }
  const lines = new Map<string, string[]>();
  for (const comment of ['//', '#']) {
    const pool: string[] = [];
    for (let l = 0; l < 4096; l++) pool.push(codeLine(random, comment));
    lines.set(comment, pool);
  }
  return (pools = { sentences, lines });
}

function codeLine(random: Random, comment: string): string {
  const a = random.pick(IDENTS);
  const b = random.pick(IDENTS);
  switch (random.int(0, 5)) {
    case 0:
      return `${comment} ${random.pick(WORDS)} ${random.pick(WORDS)} ${random.pick(WORDS)} ${random.pick(WORDS)}`;
    case 1:
      return `const ${a}${random.int(0, 99)} = ${b}.${random.pick(IDENTS)}(${random.int(0, 1000)});`;
    case 2:
      return `if (${a} > ${b}) return ${random.pick(IDENTS)};`;
    case 3:
      return `export function ${random.pick(WORDS)}${random.int(0, 999)}(${a}, ${b}) {`;
    case 4:
      return '}';
    default:
      return `  ${a}.${b} = '${random.pick(WORDS)} ${random.pick(WORDS)}';`;
  }
}

/** About `chars` characters of English-like prose. */
export function prose(random: Random, chars: number): string {
  const { sentences } = poolsOf();
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    const sentence = random.pick(sentences);
    parts.push(sentence);
    length += sentence.length;
  }
  return parts.join('').slice(0, chars).trimEnd() + '\n';
}

function code(random: Random, chars: number, ext: string): string {
  const pool = poolsOf().lines.get(ext === '.py' || ext === '.sh' || ext === '.yml' ? '#' : '//') as string[];
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    const line = random.pick(pool);
    parts.push(line);
    length += line.length + 1;
  }
  return parts.join('\n').slice(0, chars) + '\n';
}

function textFor(random: Random, ext: string, chars: number): string {
  if (ext === '.md' || ext === '.txt') return prose(random, chars);
  if (ext === '.json') {
    const entries: string[] = [];
    let length = 2;
    while (length < chars) {
      const entry = `  "${random.pick(IDENTS)}${entries.length}": "${random.pick(WORDS)} ${random.pick(WORDS)}"`;
      entries.push(entry);
      length += entry.length + 2;
    }
    return `{\n${entries.join(',\n')}\n}\n`;
  }
  return code(random, chars, ext);
}

function weightedExt(random: Random): string {
  const total = TEXT_EXT.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random.next() * total;
  for (const [ext, weight] of TEXT_EXT) {
    roll -= weight;
    if (roll < 0) return ext;
  }
  return '.ts';
}

function generateFiles(random: Random, count: number, options: Required<Pick<GenerateRepoOptions, 'binaryShare' | 'largeShare'>>, name: string): FileSeed[] {
  const files: FileSeed[] = [{ path: 'README.md', content: `# ${name}\n\n${prose(random, Math.round(random.logNormal(2500, 0.6)))}` }];
  const paths = new Set(['README.md']);
  for (let i = 1; i < count; i++) {
    const dir = random.next() < 0.08 ? '' : random.pick(DIRS);
    const binary = random.next() < options.binaryShare;
    const ext = binary ? random.pick(BINARY_EXT) : weightedExt(random);
    let path = `${dir ? `${dir}/` : ''}${random.pick(WORDS)}-${random.pick(IDENTS)}${ext}`;
    if (paths.has(path)) path = path.replace(ext, `-${i}${ext}`);
    paths.add(path);
    if (binary) {
      const bytes = new Uint8Array(Math.round(Math.min(random.logNormal(6000, 1), 400_000)));
      const words = new Uint32Array(bytes.buffer, 0, bytes.length >> 2);
      for (let w = 0; w < words.length; w++) words[w] = Math.floor(random.next() * 4294967296);
      bytes[bytes.length - 1] = 0; // a NUL byte: binary by content too, not only by extension
      files.push({ path, content: bytes });
      continue;
    }
    const large = random.next() < options.largeShare;
    const chars = large ? random.int(300_000, 600_000) : Math.round(Math.min(Math.max(random.logNormal(2500, 1), 40), 200_000));
    files.push({ path, content: textFor(random, ext, chars), ...(ext === '.sh' ? { mode: '100755' as const } : {}) });
  }
  // One symlink in repos of some size: its blob is the target path, and GitHub lists it as a blob with mode 120000.
  if (count >= 50) files.push({ path: 'docs/LINK.md', content: '../README.md', mode: '120000' });
  return files;
}

function generateComments(random: Random, mean: number, from: number, end: number): CommentSeed[] {
  const count = mean <= 0 ? 0 : random.int(0, Math.round(mean * 2));
  const comments: CommentSeed[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    at = Math.min(end, at + random.int(60, 5 * 86_400) * 1000);
    const created = isoSeconds(at);
    const edited = random.next() < 0.1 ? isoSeconds(Math.min(end, at + random.int(60, 86_400) * 1000)) : created;
    comments.push({
      user: random.next() < 0.03 ? null : random.pick(USERS),
      body: prose(random, Math.round(Math.min(Math.max(random.logNormal(250, 0.9), 2), 20_000))),
      created_at: created,
      updated_at: edited,
    });
  }
  return comments;
}

/** One deterministic repository: files, issues and pull requests with comments, ready for startFakeGitHub. */
export function generateRepo(options: GenerateRepoOptions): RepoSeed {
  const random = createRandom(options.seed ?? 1);
  const start = Date.parse(options.start ?? '2022-01-01T00:00:00Z');
  const end = Date.parse(options.end ?? '2024-06-01T00:00:00Z');
  const files = generateFiles(random, options.files ?? 200, { binaryShare: options.binaryShare ?? 0.03, largeShare: options.largeShare ?? 0.005 }, options.name);

  const issueCount = options.issues ?? 50;
  const pullCount = options.pulls ?? 10;
  const mean = options.commentsPerIssue ?? 3;
  // Issues and pulls interleave in time and share the numbering, as on GitHub.
  const kinds: ('issue' | 'pull')[] = [...Array<'issue'>(issueCount).fill('issue'), ...Array<'pull'>(pullCount).fill('pull')];
  const created = kinds.map(() => start + Math.floor(random.next() * (end - start)));
  const order = kinds.map((kind, i) => ({ kind, at: created[i] as number })).sort((a, b) => a.at - b.at);

  const issues: IssueSeed[] = [];
  const pulls: PullSeed[] = [];
  order.forEach(({ kind, at }, index) => {
    const comments = generateComments(random, mean, at, end);
    // A new comment bumps the issue's updated_at; an edited one does not.
    const lastActivity = Math.max(at, ...comments.map((comment) => Date.parse(comment.created_at)));
    const updated = Math.min(end, lastActivity + (random.next() < 0.3 ? random.int(60, 30 * 86_400) * 1000 : 0));
    const closed = random.next() < 0.6;
    const labels = random.next() < 0.5 ? [random.pick(LABELS)] : random.next() < 0.2 ? [random.pick(LABELS), random.pick(LABELS)] : [];
    const base: IssueSeed = {
      number: index + 1,
      title: prose(random, random.int(20, 80)).replace(/[.\n]+/g, ' ').trim(),
      body: random.next() < 0.08 ? null : prose(random, Math.round(Math.min(Math.max(random.logNormal(600, 1), 10), 60_000))),
      state: closed ? 'closed' : 'open',
      labels: [...new Set(labels)],
      user: random.next() < 0.02 ? null : random.pick(USERS),
      created_at: isoSeconds(at),
      updated_at: isoSeconds(updated),
      closed_at: closed ? isoSeconds(updated) : null,
      comments,
    };
    if (kind === 'issue') issues.push(base);
    else pulls.push({ ...base, merged_at: closed && random.next() < 0.7 ? base.closed_at : null, draft: !closed && random.next() < 0.1, head: `feature/${random.pick(WORDS)}-${index + 1}` });
  });

  return {
    owner: options.owner,
    name: options.name,
    defaultBranch: options.defaultBranch ?? 'main',
    description: prose(random, 60).trim(),
    language: 'TypeScript',
    created_at: isoSeconds(start),
    files,
    issues,
    pulls,
  };
}
