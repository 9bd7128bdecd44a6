/** Records the GitHub streams emit: the output model, kept apart from GitHub's raw payloads (schemas.ts). */

export interface GithubRepository {
  fullName: string;
  description: string | null;
  defaultBranch: string;
  private: boolean;
  language: string | null;
  updatedAt: string;
  htmlUrl: string;
}

/** A text file at the head of the default branch. */
export interface GithubFile {
  repo: string;
  path: string;
  /** Git blob sha: also the record hash, so an unchanged file costs nothing downstream. */
  sha: string;
  size: number;
  text: string;
}

export interface GithubReadme {
  repo: string;
  path: string;
  sha: string;
  text: string;
  htmlUrl: string | null;
}

export interface GithubComment {
  /** null for deleted accounts. */
  author: string | null;
  body: string;
  createdAt: string;
}

export interface GithubIssue {
  repo: string;
  number: number;
  title: string;
  body: string;
  state: string;
  labels: string[];
  author: string | null;
  createdAt: string;
  updatedAt: string;
  htmlUrl: string;
  comments: GithubComment[];
}

export interface GithubPull {
  repo: string;
  number: number;
  title: string;
  body: string;
  state: string;
  merged: boolean;
  author: string | null;
  createdAt: string;
  updatedAt: string;
  htmlUrl: string;
}
