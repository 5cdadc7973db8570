// How an image is cut: fixed-size chunks (the last may be short), each sent
// as ceil(length / symbolSize) source symbols.
import { DATA_HEADER_SIZE, IP_UDP_OVERHEAD, MAX_SYMBOL_SIZE, MIN_SYMBOL_SIZE } from '../protocol/constants.js';
import { invalidOption } from '../errors.js';

export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
export const DEFAULT_MTU = 1500;

/** Payload bytes per DATA datagram for a link MTU: one datagram per frame. */
export function symbolSizeForMtu(mtu: number, trailer = 0): number {
  // A sealed session's trailer rides in the same frame: the symbol gives way.
  const size = mtu - IP_UDP_OVERHEAD - DATA_HEADER_SIZE - trailer;
  if (!Number.isInteger(mtu) || size < MIN_SYMBOL_SIZE || size > MAX_SYMBOL_SIZE) {
    throw invalidOption('mtu', `an integer between ${MIN_SYMBOL_SIZE + IP_UDP_OVERHEAD + DATA_HEADER_SIZE + trailer} and 65535`, mtu);
  }
  return size;
}

export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

export function chunkLength(size: number, chunkSize: number, chunk: number): number {
  return Math.min(chunkSize, size - chunk * chunkSize);
}

export function symbolCount(length: number, symbolSize: number): number {
  return Math.ceil(length / symbolSize);
}
