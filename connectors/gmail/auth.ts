/**
 * Access tokens of each user, from what the credential provider returns:
 *   { clientId, clientSecret, refreshToken }   refreshed here through Google's token endpoint, or
 *   { token, expiresAt? }                       an access token the app refreshes itself.
 * A token Gmail refuses (401) is refreshed once: through the refresh token when there is one, else
 * by asking the provider again (`credentials({ refresh: true })`). `invalid_grant` means the user
 * revoked access: the run fails at once, nothing is retried.
 */
import { createHash } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import { SourceAuthError, type Credentials, type ReadContext } from 'sluice';
import { CONNECTOR, isInvalidGrant, revokedError, toSourceError } from './errors.js';

type AuthContext = Pick<ReadContext<unknown>, 'userId' | 'connectionId' | 'credentials'>;

/** Bounded so rotated grants of many users do not pile up in memory. */
const MAX_CACHED = 500;

export interface TokenSource {
  /** A valid access token (cached until it is about to expire). */
  token(): Promise<string>;
  /**
   * `stale` was refused: a fresh token. One refresh per read, shared by the calls in flight that
   * were refused together; a fresh token refused again is an auth failure.
   */
  refresh(stale: string): Promise<string>;
}

export function createTokenCache(tokenUrl: string) {
  const clients = new Map<string, OAuth2Client>();

  function oauthClient(credentials: Credentials): OAuth2Client | undefined {
    const { clientId, clientSecret, refreshToken } = credentials;
    if (typeof refreshToken !== 'string' || !refreshToken) return undefined;
    const key = createHash('sha256').update(`${String(clientId)}\0${refreshToken}`).digest('hex');
    let client = clients.get(key);
    if (client) {
      clients.delete(key); // re-insert: Map order doubles as LRU order
    } else {
      client = new OAuth2Client({
        clientId: typeof clientId === 'string' ? clientId : undefined,
        clientSecret: typeof clientSecret === 'string' ? clientSecret : undefined,
        endpoints: { oauth2TokenUrl: tokenUrl },
      });
      client.setCredentials({
        refresh_token: refreshToken,
        ...(typeof credentials.token === 'string' ? { access_token: credentials.token } : {}),
        ...(typeof credentials.expiresAt === 'number' ? { expiry_date: credentials.expiresAt } : {}),
      });
    }
    clients.set(key, client);
    if (clients.size > MAX_CACHED) clients.delete(clients.keys().next().value!);
    return client;
  }

  return function tokenSource(context: AuthContext): TokenSource {
    let refreshing: Promise<string> | undefined;
    let current: Promise<Credentials> | undefined;
    const credentials = () => (current ??= context.credentials());

    async function fromClient(client: OAuth2Client, force: boolean): Promise<string> {
      try {
        if (force) {
          const { credentials: fresh } = await client.refreshAccessToken();
          client.setCredentials(fresh);
          if (!fresh.access_token) throw new SourceAuthError('Google answered a refresh without an access token', CONNECTOR);
          return fresh.access_token;
        }
        const { token } = await client.getAccessToken();
        if (!token) throw new SourceAuthError('Google answered a refresh without an access token', CONNECTOR);
        return token;
      } catch (error) {
        if (isInvalidGrant(error)) throw revokedError(context.userId, error);
        throw toSourceError(error, 'oauth token refresh');
      }
    }

    async function token(): Promise<string> {
      if (refreshing) return refreshing;
      const creds = await credentials();
      const client = oauthClient(creds);
      if (client) return fromClient(client, false);
      if (typeof creds.token === 'string' && creds.token) {
        if (typeof creds.expiresAt === 'number' && creds.expiresAt <= Date.now()) return refresh(creds.token);
        return creds.token;
      }
      throw new SourceAuthError(
        `no Gmail credentials for user ${context.userId}: the provider must return { clientId, clientSecret, refreshToken } or { token, expiresAt }`,
        CONNECTOR,
      );
    }

    async function refresh(stale: string): Promise<string> {
      refreshing ??= renew();
      const fresh = await refreshing;
      if (fresh === stale) throw new SourceAuthError(`Gmail refused the refreshed access token of user ${context.userId}`, CONNECTOR);
      return fresh;
    }

    async function renew(): Promise<string> {
      const creds = await credentials();
      const client = oauthClient(creds);
      if (client) return fromClient(client, true);
      current = Promise.resolve(context.credentials({ refresh: true }));
      const fresh = await current;
      const next = oauthClient(fresh);
      if (next) return fromClient(next, false);
      if (typeof fresh.token === 'string' && fresh.token) return fresh.token;
      throw new SourceAuthError(`the credential provider returned no fresh Gmail token for user ${context.userId}`, CONNECTOR);
    }

    return { token, refresh };
  };
}

export type TokenSourceFor = ReturnType<typeof createTokenCache>;
