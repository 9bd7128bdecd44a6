import type { Context, Hono } from 'hono';
import { InvalidInputError } from '../../errors/index.js';
import type { RunStatus } from '../../progress/events.js';
import type { ListRunsOptions } from '../../runtime/admin/index.js';
import { SCAN_CURSOR } from '../../runtime/admin/scan.js';
import type { Sluice } from '../../runtime/sluice.js';
import { parseUserId } from '../../store/ids.js';
import { HttpError } from '../http-error.js';
import { adminAccess } from './auth.js';
import { adminPageRoutes } from './page.js';

/** Users' runs per page at most: a page is one bounded SCAN stretch and a pipelined read per user. */
export const MAX_USERS_PER_PAGE = 200;
const RUN_ID = /^[A-Za-z0-9._-]{1,128}$/;
const STATUSES: readonly RunStatus[] = ['running', 'completed', 'failed', 'cancelled'];

/**
 * The operator view: GET /admin (a page) and a JSON API under /admin/api, guarded by admin tokens.
 * Errors are `{ error: { code, message } }` like the rest of the server.
 */
export function adminRoutes(app: Hono<any>, sluice: Sluice, adminSecret: string): void {
  adminPageRoutes(app);
  app.use('/admin/api/*', adminAccess(adminSecret));
  const admin = () => sluice.admin;

  app.get('/admin/api/runs', async (c) => {
    noStore(c);
    return c.json(await admin().runs(runsQuery(c)));
  });

  app.get('/admin/api/users/:userId/runs/:runId', async (c) => {
    const { userId, runId } = runParams(c);
    const found = await admin().run(userId, runId);
    if (!found) throw runNotFound(userId, runId);
    noStore(c);
    return c.json(found);
  });

  app.post('/admin/api/users/:userId/runs/:runId/cancel', async (c) => {
    const { userId, runId } = runParams(c);
    const result = await admin().cancelRun(userId, runId);
    if (result.outcome === 'not-found') throw runNotFound(userId, runId);
    if (result.outcome === 'finished') throw new HttpError(409, 'run_finished', `run ${runId} already ended ${result.run.status}; nothing to cancel`, { run: result.run });
    return c.json({ run: result.run }, 200);
  });

  app.post('/admin/api/users/:userId/runs/:runId/retry', async (c) => {
    const { userId, runId } = runParams(c);
    let result;
    try {
      result = await admin().retryRun(userId, runId);
    } catch (error) {
      if (error instanceof InvalidInputError) {
        throw error.code === 'too_many_runs' ? new HttpError(429, 'too_many_runs', error.message) : new HttpError(409, 'invalid_input', `the run's input is no longer valid: ${error.message}`);
      }
      throw error;
    }
    switch (result.outcome) {
      case 'started':
        return c.json({ runId: result.runId, retryOf: result.retryOf }, 202);
      case 'already-running':
        throw new HttpError(409, 'pipeline_busy', `user ${userId} already has run ${result.runId} of this pipeline going; it is not retried twice`, { runId: result.runId });
      case 'not-found':
        throw runNotFound(userId, runId);
      case 'unknown-pipeline':
        throw new HttpError(409, 'unknown_pipeline', `run ${runId} is of pipeline "${result.run.pipeline}", which this config does not have`);
      case 'running':
        throw new HttpError(409, 'run_running', `run ${runId} is still running; cancel it first to retry`);
      case 'nothing-to-retry':
        throw new HttpError(409, 'nothing_to_retry', `run ${runId} completed with no failed items; nothing to retry`);
      case 'expired':
        throw new HttpError(409, 'run_expired', `run ${runId}'s state (and its input) has expired; start a new run instead`);
    }
  });

  app.get('/admin/api/queues', async (c) => {
    noStore(c);
    return c.json({ queues: await admin().queues() });
  });

  app.get('/admin/api/limiters', async (c) => {
    noStore(c);
    return c.json(await admin().limiters());
  });
}

function runsQuery(c: Context): ListRunsOptions {
  const cursor = c.req.query('cursor');
  const users = c.req.query('users');
  const status = c.req.query('status');
  const waiting = c.req.query('waiting');
  if (cursor !== undefined && !SCAN_CURSOR.test(cursor)) throw new HttpError(400, 'invalid_cursor', `cursor ${JSON.stringify(cursor)} is not a cursor this API returned (digits, or node-digits on a cluster)`);
  const perPage = users === undefined ? 50 : Number(users);
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_USERS_PER_PAGE) {
    throw new HttpError(400, 'invalid_query', `users must be an integer from 1 to ${MAX_USERS_PER_PAGE}, got ${JSON.stringify(users)}`);
  }
  if (status !== undefined && !STATUSES.includes(status as RunStatus)) {
    throw new HttpError(400, 'invalid_query', `status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
  if (waiting !== undefined && waiting !== 'true' && waiting !== 'false') {
    throw new HttpError(400, 'invalid_query', `waiting must be true or false, got ${JSON.stringify(waiting)}`);
  }
  return {
    users: perPage,
    ...(cursor !== undefined && cursor !== '0' ? { cursor } : {}),
    ...(status !== undefined ? { status: status as RunStatus } : {}),
    ...(waiting === 'true' ? { waiting: true } : {}),
  };
}

function runParams(c: Context): { userId: string; runId: string } {
  let userId: string;
  try {
    userId = parseUserId(c.req.param('userId'));
  } catch (error) {
    throw new HttpError(400, 'invalid_user_id', (error as Error).message);
  }
  const runId = c.req.param('runId') ?? '';
  if (!RUN_ID.test(runId)) throw new HttpError(400, 'invalid_run_id', `run id ${JSON.stringify(runId)} must be 1-128 letters, digits, or . _ -`);
  return { userId, runId };
}

const runNotFound = (userId: string, runId: string) => new HttpError(404, 'run_not_found', `user ${userId} has no run ${runId}`);

function noStore(c: Context): void {
  c.header('cache-control', 'no-store');
}
