/** Resolves an API path under the server's base URL; a relative base resolves against the page. */
export function endpoint(base: string, path: string): URL {
  const page = typeof location === 'undefined' ? undefined : location.href;
  const root = new URL(base.endsWith('/') ? base : `${base}/`, page);
  return new URL(path.replace(/^\//, ''), root);
}

export const progressPath = (userId: string) => `v1/users/${encodeURIComponent(userId)}/progress`;
export const runsPath = (userId: string) => `v1/users/${encodeURIComponent(userId)}/runs`;

export type TokenSource = string | (() => string | Promise<string>);

export async function authHeaders(token: TokenSource | undefined): Promise<Record<string, string>> {
  const value = typeof token === 'function' ? await token() : token;
  return value ? { authorization: `Bearer ${value}` } : {};
}
