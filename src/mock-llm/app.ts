import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { admit, checkModel } from './admission.js';
import { chatCompletion, chatPromptTokens, chatRequestSchema, checkChatRequest, isJsonMode, maxOutputTokens } from './chat.js';
import { embeddingInputs, embeddingsRequestSchema, embeddingsResponse, embeddingTokens } from './embeddings.js';
import { invalidRequest, MockHttpError, missingApiKey, notFound, overloaded, serverError, wrongApiKey } from './errors.js';
import { loadTokenizer } from '../util/tokens.js';
import { MockOptionsError } from './knobs.js';
import { parseBody } from './request-body.js';
import { DEFAULTS, type MockState } from './state.js';

function errorResponse(c: Context, error: MockHttpError): Response {
  return c.json(error.body, error.status as ContentfulStatusCode, error.headers);
}

/** The OpenAI-compatible API (/v1) and the admin API (/_mock) over one state. */
export function createMockApp(state: MockState, closing: AbortSignal): Hono {
  const app = new Hono();

  // Once closing, answers end their connection, so close() does not wait on clients' keep-alive.
  app.use('*', async (c, next) => {
    await next();
    if (closing.aborted) c.res.headers.set('connection', 'close');
  });

  // Counted after the answer is decided, whichever way it went.
  app.use('/v1/*', async (c, next) => {
    await next();
    state.stats.response(c.res.status);
  });

  // An outage answers before anything else; then the key is checked, as OpenAI does before reading the body.
  app.use('/v1/*', async (c, next) => {
    if (state.knobs.outage) throw overloaded();
    const required = state.knobs.requireApiKey;
    if (required !== undefined) {
      const header = c.req.header('authorization');
      const key = header?.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!key) throw missingApiKey();
      if (key !== required) throw wrongApiKey(key);
    }
    await next();
  });

  app.get('/v1/models', (c) => {
    const ids = state.knobs.models ?? [...state.seenModels].sort();
    return c.json({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'sluice-mock' })) });
  });

  app.post('/v1/chat/completions', async (c) => {
    const request = parseBody(await c.req.text(), chatRequestSchema);
    checkChatRequest(request);
    checkModel(state, request.model);
    const tokens = await loadTokenizer();
    const promptTokens = chatPromptTokens(request, tokens);
    // OpenAI charges the prompt plus the most the answer may use, before it is written.
    const charge = promptTokens + (maxOutputTokens(request) ?? state.knobs.defaultMaxTokens ?? DEFAULTS.defaultMaxTokens) * (request.n ?? 1);
    const { seq, headers } = await admit(state, request.model, charge, closing);
    const breakage = isJsonMode(request) ? state.takeJsonBreakage() : undefined;
    const summaryWords = state.knobs.summaryWords ?? DEFAULTS.summaryWords;
    const body = chatCompletion({ request, id: `chatcmpl-mock${seq}`, promptTokens, summaryWords, tokens, ...(breakage ? { breakage } : {}) });
    state.stats.usage(body.usage.prompt_tokens, body.usage.completion_tokens);
    return c.json(body, 200, headers);
  });

  app.post('/v1/embeddings', async (c) => {
    const request = parseBody(await c.req.text(), embeddingsRequestSchema);
    const inputs = embeddingInputs(request);
    checkModel(state, request.model);
    const promptTokens = embeddingTokens(inputs, await loadTokenizer());
    const { headers } = await admit(state, request.model, promptTokens, closing);
    const dimensions = request.dimensions ?? state.knobs.embeddingDimensions ?? DEFAULTS.embeddingDimensions;
    state.stats.usage(promptTokens, 0);
    return c.json(embeddingsResponse(request, inputs, dimensions, promptTokens), 200, headers);
  });

  app.get('/_mock/stats', (c) => c.json(state.stats.snapshot()));
  app.get('/_mock/options', (c) => c.json(state.knobs));
  app.post('/_mock/options', async (c) => {
    let update: unknown;
    try {
      update = JSON.parse(await c.req.text());
    } catch {
      throw invalidRequest('The options must be a JSON object, e.g. {"outage": true}.');
    }
    return c.json(state.setKnobs(update));
  });
  app.post('/_mock/reset', (c) => {
    state.reset();
    return c.json({ reset: true });
  });

  app.notFound((c) => errorResponse(c, notFound(c.req.method, c.req.path)));
  app.onError((error, c) => {
    if (error instanceof MockHttpError) return errorResponse(c, error);
    if (error instanceof MockOptionsError) return errorResponse(c, invalidRequest(error.message));
    console.error('sluice mock LLM: unexpected error', error);
    return errorResponse(c, serverError());
  });
  return app;
}
