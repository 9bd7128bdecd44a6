/**
 * Raw GitHub payloads to output records. Ids are stable across syncs and carry their kind, so a
 * root file named README never collides with the readme record, nor an issue with a pull request.
 */
import type { SourceRecord } from 'sluice';
import { contentHash } from 'sluice';
import type { GithubComment, GithubFile, GithubIssue, GithubPull, GithubReadme, GithubRepository } from './models.js';
import type { RawComment, RawIssue, RawPull, RawRepo } from './schemas.js';

/** Record ids, one namespace per kind. Failures of an item use the same id as its record. */
export const recordId = {
  repo: (fullName: string) => `repo:${fullName}`,
  file: (repo: string, path: string) => `file:${repo}:${path}`,
  readme: (repo: string) => `readme:${repo}`,
  issue: (repo: string, number: number) => `issue:${repo}#${number}`,
  pull: (repo: string, number: number) => `pull:${repo}#${number}`,
};

function hashed<T>(id: string, data: T): SourceRecord<T> {
  return { id, hash: contentHash(data), data };
}

export function toRepository(raw: RawRepo): SourceRecord<GithubRepository> {
  return hashed(recordId.repo(raw.full_name), {
    fullName: raw.full_name,
    description: raw.description,
    defaultBranch: raw.default_branch,
    private: raw.private,
    language: raw.language,
    updatedAt: raw.updated_at,
    htmlUrl: raw.html_url,
  });
}

export function toComment(raw: RawComment): GithubComment {
  return { author: raw.user?.login ?? null, body: raw.body ?? '', createdAt: raw.created_at };
}

export function toIssue(repo: string, raw: RawIssue, comments: GithubComment[]): SourceRecord<GithubIssue> {
  return hashed(recordId.issue(repo, raw.number), {
    repo,
    number: raw.number,
    title: raw.title,
    body: raw.body ?? '',
    state: raw.state,
    labels: raw.labels.map((label) => (typeof label === 'string' ? label : label.name)),
    author: raw.user?.login ?? null,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    htmlUrl: raw.html_url,
    comments,
  });
}

export function toPull(repo: string, raw: RawPull): SourceRecord<GithubPull> {
  return hashed(recordId.pull(repo, raw.number), {
    repo,
    number: raw.number,
    title: raw.title,
    body: raw.body ?? '',
    state: raw.state,
    // The list endpoint has no `merged` flag; merged_at is set exactly when the PR was merged.
    merged: raw.merged_at !== null,
    author: raw.user?.login ?? null,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    htmlUrl: raw.html_url,
  });
}

export function toFile(file: GithubFile): SourceRecord<GithubFile> {
  // The blob sha already names the content exactly.
  return { id: recordId.file(file.repo, file.path), hash: file.sha, data: file };
}

export function toReadme(readme: GithubReadme): SourceRecord<GithubReadme> {
  // One README per repo, whatever its file name, so the id does not carry the path.
  return hashed(recordId.readme(readme.repo), readme);
}
