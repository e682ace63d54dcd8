/** The HTTP/2 framing layer (RFC 9113 sections 4 and 6): constants, frame types, decoder, writer. */
export * from './constants.js';
export type * from './types.js';
export { writeFrameHeader, readFrameHeader, readFrameLength, readStreamId } from './header.js';
export type { FrameHeader } from './header.js';
export { FrameDecoder, frameTypeName } from './decoder.js';
export type { FrameDecoderOptions } from './decoder.js';
export { FrameWriter } from './writer.js';
export { checkSettingValue } from './settings.js';
export { FrameTracer, type FrameObserver, type FrameDirection, type TraceEvent, type HeaderList } from './trace.js';
export { HeaderBlockJoiner } from './header-block-joiner.js';
export type { HeaderBlockJoinerOptions } from './header-block-joiner.js';
