export { synthetic, type SyntheticRecord } from '../../connectors/synthetic/index.js';
