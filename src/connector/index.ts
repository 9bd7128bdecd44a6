export * from './types.js';
export * from './errors.js';
export { defineConnector, ConnectorParamsError, type Connector, type ConnectorDefinition } from './define-connector.js';
export { parseRetryAfter } from '../util/retry-after.js';
