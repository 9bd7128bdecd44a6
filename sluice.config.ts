import { defineConfig } from 'sluice';
import { demoPipeline } from './pipelines/demo.js';
import { githubOnboarding } from './pipelines/github-onboarding.js';

/** The config the CLI finds in this folder: the demo's pipelines on embedded defaults. */
export default defineConfig({
  pipelines: [demoPipeline, githubOnboarding],
  llm: {
    // OPENAI_BASE_URL and OPENAI_API_KEY choose the server: OpenAI, any compatible API, or `sluice mock-llm`.
    providers: { openai: { limits: { 'gpt-4o-mini': { rpm: 500, tpm: 200_000 } } } },
  },
});
