/** The JSON shape of every error the server returns. */
export interface ErrorBody {
  error: { code: string; message: string; [extra: string]: unknown };
}

/** Thrown by handlers and middleware; the app's error handler turns it into `{ error: {...} }` with its status. */
export class HttpError extends Error {
  override name = 'HttpError';

  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  get body(): ErrorBody {
    return errorBody(this.code, this.message, this.extra);
  }
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): ErrorBody {
  return { error: { ...extra, code, message } };
}
