/**
 * A local OpenAI-compatible server for tests, benchmarks and the demo (`sluice mock-llm`).
 *
 * API: POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models, with OpenAI's response and
 * error shapes, usage counted with gpt-tokenizer, and x-ratelimit-* headers on every answer.
 * Admin: GET /_mock/stats, GET|POST /_mock/options (JSON; null resets a knob), POST /_mock/reset.
 * Order of checks: outage (503), API key (401), body (400), rate limits (429), latency, injected 500s.
 */
export { startMockLlm } from './server.js';
export { MockOptionsError } from './knobs.js';
export { formatDuration } from './rate-limiter.js';
export type { LatencySetting, MockLlm, MockLlmKnobs, MockLlmOptions, MockLlmStats, SecondBucket } from './types.js';
