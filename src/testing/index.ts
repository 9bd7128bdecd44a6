// sluice/testing: rehearse onboarding offline. A local OpenAI-compatible server with real rate
// limits stands in for the provider, and the synthetic connector for a user's data.
export {
  startMockLlm,
  MockOptionsError,
  type LatencySetting,
  type MockLlm,
  type MockLlmKnobs,
  type MockLlmOptions,
  type MockLlmStats,
  type SecondBucket,
} from '../mock-llm/index.js';
export { synthetic, type SyntheticRecord } from '../../connectors/synthetic/index.js';
export {
  startFakeGmail,
  generateMailbox,
  GMAIL_QUOTA_UNITS,
  type FakeGmail,
  type FakeGmailOptions,
  type FakeGmailStats,
  type FakeGmailUserOptions,
  type GenerateMailboxOptions,
  type GmailMessageSeed,
  type GmailMethod,
} from './gmail-server.js';
