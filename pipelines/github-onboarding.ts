import { definePipeline } from 'sluice';
import {
  createGithubConnector,
  type GithubConnectorOptions,
  type GithubFile,
  type GithubIssue,
  type GithubPull,
  type GithubReadme,
} from 'sluice/connectors/github';

/** One shape for everything a user's GitHub holds, ready for retrieval. */
export interface GithubDocument {
  kind: 'readme' | 'file' | 'issue' | 'pull';
  repo: string;
  title: string;
  url?: string;
  updatedAt?: string;
  text: string;
}

export interface GithubOnboardingOptions {
  id?: string;
  github?: GithubConnectorOptions;
}

/**
 * Onboarding for a user who connects GitHub: READMEs first (the quickest useful context), then
 * files, issues with their comments, and pull requests. Repositories come from the run input
 * (`--input '{"repos":["owner/name"]}'`), else every repository the user owns.
 * Issues and pull requests re-sync incrementally (`since` and ETags); files by blob sha.
 */
export function createGithubOnboarding(options: GithubOnboardingOptions = {}) {
  const github = createGithubConnector(options.github);
  return definePipeline({
    id: options.id ?? 'github-onboarding',
    description: "A user's GitHub repositories: READMEs, files, issues and pull requests",
    source: [github.readme(), github.files(), github.issues(), github.pulls()],
    sharding: { batchSize: 50 },
    steps: (records) => records.map(toDocument),
  });
}

export const githubOnboarding = createGithubOnboarding({
  github: process.env.GITHUB_API_URL ? { baseUrl: process.env.GITHUB_API_URL } : {},
});

type GithubRecord = GithubReadme | GithubFile | GithubIssue | GithubPull;

function toDocument(record: GithubRecord): GithubDocument {
  if ('merged' in record) {
    return { kind: 'pull', repo: record.repo, title: `#${record.number} ${record.title}`, url: record.htmlUrl, updatedAt: record.updatedAt, text: record.body };
  }
  if ('comments' in record) {
    const thread = record.comments.map((c) => `${c.author ?? 'ghost'}: ${c.body}`);
    return {
      kind: 'issue',
      repo: record.repo,
      title: `#${record.number} ${record.title}`,
      url: record.htmlUrl,
      updatedAt: record.updatedAt,
      text: [record.body, ...thread].filter(Boolean).join('\n\n'),
    };
  }
  if ('size' in record) return { kind: 'file', repo: record.repo, title: record.path, text: record.text };
  return { kind: 'readme', repo: record.repo, title: `${record.repo} README`, url: record.htmlUrl ?? undefined, text: record.text };
}
