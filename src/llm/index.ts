export { summarize, type SummarizeOptions } from './summarize.js';
export { extract, type ExtractOptions } from './extract.js';
export { embed, type EmbedOptions } from './embed.js';
export type { LlmConfig, LlmProviderConfig, ModelPrice } from './config.js';
export { LlmAuthError, LlmRequestError, ProviderUnavailableError } from './errors.js';
export { chunkByTokens, countTokens } from '../util/tokens.js';
export type { LlmRuntime, Usage } from '../pipeline/llm.js';
