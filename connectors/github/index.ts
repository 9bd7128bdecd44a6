/**
 * GitHub connector: repositories, files, READMEs, issues and pull requests of the user behind
 * the token (`ctx.credentials().token`). Each read is one provider page with an opaque cursor;
 * rate limits become SourceRateLimitError so a shard waits in the queue, not in a worker.
 *
 *   const source = github.issues({ repos: ['acme/app'] });
 */
import { defineConnector } from 'sluice';
import { createClientProvider } from './client.js';
import { resolveOptions, type GithubConnectorOptions } from './options.js';
import { filesStream } from './streams/files.js';
import { issuesStream } from './streams/issues.js';
import { pullsStream } from './streams/pulls.js';
import { readmeStream } from './streams/readme.js';
import { repositoriesStream } from './streams/repositories.js';

export function createGithubConnector(options?: GithubConnectorOptions) {
  const clientFor = createClientProvider(resolveOptions(options));
  return defineConnector({
    id: 'github',
    streams: {
      repositories: repositoriesStream(clientFor),
      files: filesStream(clientFor),
      readme: readmeStream(clientFor),
      issues: issuesStream(clientFor),
      pulls: pullsStream(clientFor),
    },
  });
}

export type GithubConnector = ReturnType<typeof createGithubConnector>;

/** The connector with default options (api.github.com). */
export const github = createGithubConnector();

export type { GithubConnectorOptions } from './options.js';
export type { GithubComment, GithubFile, GithubIssue, GithubPull, GithubReadme, GithubRepository } from './models.js';
export type { FilesParams } from './streams/files.js';
export type { IssuesParams } from './streams/issues.js';
export type { PullsParams } from './streams/pulls.js';
export type { ReadmeParams } from './streams/readme.js';
export type { RepositoriesParams } from './streams/repositories.js';
