// The protocol's constants, for code outside src/protocol. They are all
// defined in wire.ts (the one table the C header is generated from); this
// module adds the DATA header's field offsets under the names tests and
// tools use.
import { DataHeader, offsetOf } from './wire.js';

export * from './wire.js';

export const OFF_SESSION = offsetOf(DataHeader, 'session');
export const OFF_STREAM = offsetOf(DataHeader, 'stream');
export const OFF_CODING = offsetOf(DataHeader, 'coding');
export const OFF_CHUNK = offsetOf(DataHeader, 'chunk');
export const OFF_SYMBOL = offsetOf(DataHeader, 'symbol');
export const OFF_LENGTH = offsetOf(DataHeader, 'length');
