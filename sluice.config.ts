import { defineConfig, shared, SourceAuthError, type CredentialProvider } from 'sluice';
import { demoPipeline } from './pipelines/demo.js';
import { githubOnboarding } from './pipelines/github-onboarding.js';
import { gmailOnboarding } from './pipelines/gmail-onboarding.js';

/** The demo's Gmail user: `npm run demo` gives this user the fake Gmail server's mailbox, and nobody else. */
export const DEMO_GMAIL_USER = 'dana';

// The demo's GitHub user reads with the operator's own token. An app with many users passes a
// provider that returns each user's token instead: a shared one reaches the same data for all.
const operatorTokens = shared({ github: process.env.GITHUB_TOKEN });

/**
 * Gmail is per user, never shared: `dana` gets the refresh token the demo's fake Gmail server issued
 * (DEMO_GMAIL_REFRESH_TOKEN, set by scripts/demo.ts); any other user has no Gmail grant.
 */
const credentials: CredentialProvider = (request) => {
  if (request.connector !== 'gmail') return operatorTokens(request);
  const refreshToken = process.env.DEMO_GMAIL_REFRESH_TOKEN;
  if (request.userId !== DEMO_GMAIL_USER || !refreshToken) throw new SourceAuthError(`no Gmail grant for user ${request.userId}`, 'gmail');
  return { clientId: 'sluice-demo', clientSecret: 'sluice-demo', refreshToken };
};

/** The config the CLI finds in this folder: the demo's pipelines on embedded defaults. */
export default defineConfig({
  pipelines: [demoPipeline, githubOnboarding, gmailOnboarding],
  // Keeps `sluice serve`'s warning about the shared GitHub token.
  credentials: Object.assign(credentials, { sharedConnectors: operatorTokens.sharedConnectors }),
  llm: {
    // OPENAI_BASE_URL and OPENAI_API_KEY choose the server: OpenAI, any compatible API, or `sluice mock-llm`.
    // Declared limits (OpenAI's tier 2 for gpt-4o-mini); the limiter lowers them to what the server's
    // rate-limit headers say, so the demo runs at the budget its mock LLM advertises.
    providers: { openai: { limits: { 'gpt-4o-mini': { rpm: 5_000, tpm: 2_000_000 } } } },
  },
  // Gmail's per-user quota: 15,000 units a minute, counted by the limiter for every worker together.
  limits: { 'gmail:user:{userId}': { tpm: 15_000 } },
});
