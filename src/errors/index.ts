/** Sluice's error model: a base class with a kind, a brand that survives module copies, one classifier. */
export { ERROR_KINDS, InvalidInputError, TooManyRunsError, isSluiceError, SLUICE_ERROR, SluiceError, type ErrorKind, type WaitInfo } from './sluice-error.js';
export { classifyError, concernsShard, type ErrorDecision } from './classify.js';
