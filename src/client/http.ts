import { authHeaders, endpoint, progressPath, runsPath, type TokenSource } from './endpoints.js';
import { errorFromResponse } from './errors.js';
import type { ProgressSnapshotBody } from './types.js';

export interface RequestOptions {
  url: string;
  userId: string;
  token?: TokenSource;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** `GET /v1/users/:userId/progress`: every run of the user, with failures and ETAs. Throws a ProgressError. */
export async function fetchProgress(options: RequestOptions): Promise<ProgressSnapshotBody> {
  const response = await (options.fetch ?? fetch)(endpoint(options.url, progressPath(options.userId)), {
    headers: { accept: 'application/json', ...(await authHeaders(options.token)) },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as ProgressSnapshotBody;
}

/** `POST /v1/users/:userId/runs`: starts a run, or returns the one already going (`created: false`). */
export async function startRemoteRun(
  options: RequestOptions & { pipeline: string; input?: Record<string, unknown> },
): Promise<{ runId: string; created: boolean }> {
  const response = await (options.fetch ?? fetch)(endpoint(options.url, runsPath(options.userId)), {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', ...(await authHeaders(options.token)) },
    body: JSON.stringify({ pipeline: options.pipeline, ...(options.input ? { input: options.input } : {}) }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as { runId: string; created: boolean };
}
