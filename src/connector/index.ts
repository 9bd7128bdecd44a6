export * from './types.js';
export * from './errors.js';
export { defineConnector, ConnectorParamsError, type Connector, type ConnectorDefinition } from './define-connector.js';
export { cursorCodec, CursorError, type CursorCodec } from './cursor.js';
export { decodeText } from './text.js';
export { mapLimit } from '../util/map-limit.js';
export { parseRetryAfter } from '../util/retry-after.js';
export { shared, sharedConnectorsOf, noCredentialsProvider, type SharedCredentialProvider } from './credentials.js';
