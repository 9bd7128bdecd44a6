export { summarize, type SummarizeOptions } from './summarize.js';
export { extract, type ExtractOptions } from './extract.js';
export { embed, type EmbedOptions } from './embed.js';
export type { LlmConfig, LlmProviderConfig } from './config.js';
export { LlmAuthError, LlmRequestError, ProviderUnavailableError } from './errors.js';
export { chunkByTokens, countTokens } from './tokens.js';
export type { Usage, ModelPrice } from './usage.js';
export type { LlmRuntime } from './runtime.js';
