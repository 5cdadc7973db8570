import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/binding.js';
import * as C from '../../src/protocol/constants.js';

describe('protocol constants', () => {
  it('TypeScript and native code agree on the wire layout', () => {
    const p = native.protocol;
    expect(p.magic).toBe(C.MAGIC);
    expect(p.version).toBe(C.VERSION);
    expect([p.typeData, p.typeAnnounce, p.typeStatus, p.typeNack, p.typeAck, p.typeRepairAdv]).toEqual([
      C.PacketType.Data,
      C.PacketType.Announce,
      C.PacketType.Status,
      C.PacketType.Nack,
      C.PacketType.Ack,
      C.PacketType.RepairAdv,
    ]);
    expect(p.commonHeaderSize).toBe(C.COMMON_HEADER_SIZE);
    expect(p.dataHeaderSize).toBe(C.DATA_HEADER_SIZE);
    expect([p.offSession, p.offStream, p.offChunk, p.offSymbol, p.offCoding, p.offLength]).toEqual([C.OFF_SESSION, C.OFF_STREAM, C.OFF_CHUNK, C.OFF_SYMBOL, C.OFF_CODING, C.OFF_LENGTH]);
    expect([p.codingRaw, p.codingLz4]).toEqual([C.Coding.Raw, C.Coding.Lz4]);
    expect(p.repairBit).toBe(C.REPAIR_BIT);
    expect(p.ipUdpOverhead).toBe(C.IP_UDP_OVERHEAD);
    expect([p.minSymbolSize, p.maxSymbolSize, p.maxChunkSize]).toEqual([C.MIN_SYMBOL_SIZE, C.MAX_SYMBOL_SIZE, C.MAX_CHUNK_SIZE]);
  });
});
