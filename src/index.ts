/// <reference types="node" preserve="true" />
/** h2kit: HTTP/2 and HPACK for TypeScript. The public API. */
export * from './errors.js';
export * from './hpack/index.js';
export * from './server/index.js';
export * from './client/index.js';
