/// <reference types="node" preserve="true" />
/**
 * h2kit/hpack: HPACK (RFC 7541) with the API of nghttp2's Python bindings.
 *
 *   const deflater = new HDDeflater();
 *   const block = deflater.deflate([['foo', 'bar'], ['baz', 'buz']]);
 *   const headers = new HDInflater().inflate(block); // [[Buffer 'foo', Buffer 'bar'], ...]
 *
 * `setNoRefset` is accepted and does nothing: the reference set existed only in HPACK drafts.
 */
export { DEFAULT_HEADER_TABLE_SIZE, DEFLATE_MAX_HEADER_TABLE_SIZE, DEFAULT_MAX_HEADER_LIST_SIZE } from './constants.js';
export { HDDeflater, type DeflaterOptions } from './deflater.js';
export { HDInflater, type InflaterOptions, type HeaderEmitter } from './inflater.js';
export { printHdTable, type TextSink } from './print.js';
export type { HDTableEntry, HeaderField, HeaderFieldOptions, HeaderString } from './types.js';
export { HeaderListTooLargeError, HpackErrorToken } from './errors.js';
// Low-level pieces, for tools and tests.
export { encodeInteger, decodeInteger, MAX_HPACK_INTEGER } from './integer.js';
export { huffmanEncode, huffmanDecode, huffmanEncodedLength } from './huffman.js';
export { STATIC_TABLE } from './static-table.js';
