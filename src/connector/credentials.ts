import { SourceAuthError } from './errors.js';
import type { CredentialProvider, Credentials } from './types.js';

/** A provider that hands every user the same operator token for some connectors. */
export interface SharedCredentialProvider extends CredentialProvider {
  /** Connectors whose token is shared by every user (those given a token). */
  readonly sharedConnectors: readonly string[];
}

/**
 * Opt-in to one token for every user: `credentials: shared({ github: process.env.GITHUB_TOKEN })`.
 * Any user who can start a run then reads what that token can read, so keep the sources a run
 * reads (repositories, folders) operator-set. Connectors without a token here are refused.
 */
export function shared(tokens: Record<string, string | Credentials | undefined>): SharedCredentialProvider {
  const given = new Map<string, Credentials>();
  for (const [connector, value] of Object.entries(tokens)) {
    if (value === undefined || value === '') continue;
    given.set(connector, typeof value === 'string' ? { token: value } : value);
  }
  const provider = (({ connector }) => {
    const credentials = given.get(connector);
    if (credentials === undefined) throw noCredentials(connector);
    return credentials;
  }) as CredentialProvider;
  return Object.assign(provider, { sharedConnectors: [...given.keys()] });
}

/** Connectors whose token a provider shares across users (made by `shared(...)`); empty otherwise. */
export function sharedConnectorsOf(provider: CredentialProvider | undefined): readonly string[] {
  const connectors = (provider as Partial<SharedCredentialProvider> | undefined)?.sharedConnectors;
  return Array.isArray(connectors) ? connectors : [];
}

/** The default provider: no user reads a source through a token nobody chose for them. */
export const noCredentialsProvider: CredentialProvider = ({ connector }) => {
  throw noCredentials(connector);
};

function noCredentials(connector: string): SourceAuthError {
  const variable = `${connector.toUpperCase().replace(/-/g, '_')}_TOKEN`;
  return new SourceAuthError(
    `no credentials provider configured for ${connector}; pass credentials: ({ userId, connector }) => ({ token }) in the config, ` +
      `or opt in to a shared token with credentials: shared({ ${connector}: process.env.${variable} })`,
    connector,
  );
}
