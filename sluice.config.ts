import { defineConfig } from 'sluice';
import { demoPipeline } from './pipelines/demo.js';
import { githubOnboarding } from './pipelines/github-onboarding.js';

/** The config the CLI finds in this folder: the demo's pipelines on embedded defaults. */
export default defineConfig({
  pipelines: [demoPipeline, githubOnboarding],
});
