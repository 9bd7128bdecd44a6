// sluice/react: a hook over sluice/client. React is an optional peer dependency of sluice.
export { useOnboardingProgress, type OnboardingProgress, type OnboardingProgressOptions } from './use-onboarding-progress.js';
export { latestRuns, overallState, runProgress, formatEta, formatCount, ProgressError, type OverallState } from '../client/index.js';
export type { ConnectionStatus, ItemFailure, RunView } from '../client/index.js';
