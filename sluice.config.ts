import { defineConfig, shared } from 'sluice';
import { demoPipeline } from './pipelines/demo.js';
import { githubOnboarding } from './pipelines/github-onboarding.js';

/** The config the CLI finds in this folder: the demo's pipelines on embedded defaults. */
export default defineConfig({
  pipelines: [demoPipeline, githubOnboarding],
  // The demo's GitHub user reads with the operator's own token. An app with many users passes a
  // provider that returns each user's token instead: a shared one reaches the same data for all.
  credentials: shared({ github: process.env.GITHUB_TOKEN }),
  llm: {
    // OPENAI_BASE_URL and OPENAI_API_KEY choose the server: OpenAI, any compatible API, or `sluice mock-llm`.
    // Declared limits (OpenAI's tier 2 for gpt-4o-mini); the limiter lowers them to what the server's
    // rate-limit headers say, so the demo runs at the budget its mock LLM advertises.
    providers: { openai: { limits: { 'gpt-4o-mini': { rpm: 5_000, tpm: 2_000_000 } } } },
  },
});
