import { SluiceError } from '../errors/index.js';

/** Why a progress token was refused; the server maps each code to a 401 with the same code. */
export type ProgressTokenErrorCode = 'token_malformed' | 'token_invalid' | 'token_expired';

export class ProgressTokenError extends SluiceError {
  /** The same token fails the same way: a new one is needed. */
  readonly kind = 'run-fatal';

  constructor(
    readonly code: ProgressTokenErrorCode,
    message: string,
  ) {
    super(message);
  }
}
