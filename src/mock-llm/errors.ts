/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class MockHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: OpenAiErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error.message);
  }
}

function error(status: number, message: string, type: string, param: string | null = null, code: string | null = null, headers?: Record<string, string>) {
  return new MockHttpError(status, { error: { message, type, param, code } }, headers);
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  error(400, message, 'invalid_request_error', param, code);

export const unparseableJson = () =>
  invalidRequest(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The API expects a JSON payload, but what was sent was not valid JSON.)",
  );

export const missingApiKey = () =>
  error(
    401,
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    'invalid_request_error',
  );

export const wrongApiKey = (key: string) =>
  error(401, `Incorrect API key provided: ${maskKey(key)}.`, 'invalid_request_error', null, 'invalid_api_key');

export const serverError = () =>
  error(500, 'The server had an error while processing your request. Sorry about that!', 'server_error');

export const overloaded = () => error(503, 'The server is overloaded or not ready yet.', 'server_error');

export const notFound = (method: string, path: string) => error(404, `Invalid URL (${method} ${path})`, 'invalid_request_error');

export const rateLimited = (message: string, type: 'requests' | 'tokens', headers: Record<string, string>) =>
  error(429, message, type, null, 'rate_limit_exceeded', headers);

/** Like OpenAI: enough of the key to recognise it, never all of it. */
function maskKey(key: string): string {
  if (key.length <= 8) return `${key.slice(0, 2)}${'*'.repeat(Math.max(0, key.length - 2))}`;
  return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}
