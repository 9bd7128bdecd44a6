import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { ServerContext, ServerEnv } from '../context.js';
import { errorBody, HttpError } from '../http-error.js';

const startRunBody = z.strictObject({
  pipeline: z.string().min(1),
  input: z.record(z.string(), z.unknown()).optional(),
});

/** POST /v1/users/:userId/runs: starts a run (or returns the one already going) -> 202. */
export function runsRoute(app: Hono<ServerEnv>, { sluice, options }: ServerContext): void {
  const known = () => sluice.config.pipelines.map((p) => p.id);
  app.post(
    '/v1/users/:userId/runs',
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: (c) => c.json(errorBody('body_too_large', `request body is larger than ${options.maxBodyBytes} bytes`), 413),
    }),
    async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        throw new HttpError(400, 'invalid_body', 'request body must be JSON like {"pipeline":"<id>","input":{}}');
      }
      const parsed = startRunBody.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new HttpError(400, 'invalid_body', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
      const { pipeline, input } = parsed.data;
      if (!known().includes(pipeline)) {
        throw new HttpError(404, 'unknown_pipeline', `Unknown pipeline "${pipeline}". Known: ${known().join(', ')}`, { known: known() });
      }
      const run = await sluice.startRun(pipeline, { userId: c.get('userId'), ...(input ? { input } : {}) });
      return c.json({ runId: run.runId, created: run.created }, 202);
    },
  );
}
