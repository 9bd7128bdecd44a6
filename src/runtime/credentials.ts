import type { CredentialProvider } from '../connector/types.js';

/**
 * Default credentials: a token from the environment per connector (`GITHUB_TOKEN` for `github`).
 * Apps with many users pass their own provider that looks up each user's connection.
 */
export const environmentCredentials: CredentialProvider = ({ connector }) => {
  const token = process.env[`${connector.toUpperCase().replace(/-/g, '_')}_TOKEN`];
  return token ? { token } : {};
};
