import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderWireHeaders, wireConstants } from '../../scripts/wire-header.js';
import { native } from '../../src/native/binding.js';
import { readFields, writeFields } from '../../src/protocol/fields.js';
import { isRepairSymbol, repairIndex, repairStripe, repairSymbolId } from '../../src/protocol/symbols.js';
import * as W from '../../src/protocol/wire.js';

describe('the wire tables', () => {
  it('native/src/core/wire.h (and its two siblings) are what scripts/wire-header.ts generates from them (run npm run gen:wire)', () => {
    for (const [file, text] of renderWireHeaders()) expect(readFileSync(file, 'utf8'), file).toBe(text);
  });

  it('agree, constant by constant, with the addon built from wire.h (every enum, size and offset)', () => {
    expect(native.wire).toEqual(Object.fromEntries(wireConstants()));
    expect(native.wire.kNackWholeChunk).toBe(W.NackKind.WholeChunk);
    expect(native.wire.kOffLength).toBe(W.offsetOf(W.DataHeader, 'length'));
  });

  it('keep every enum value (append-only: deployed peers outlive code changes)', () => {
    expect(W.WIRE_ENUMS).toEqual({
      PacketType: { Data: 1, Announce: 2, Status: 3, Nack: 4, Ack: 5, RepairAdv: 6 },
      Coding: { Raw: 0, Lz4: 1, Zstd: 2 },
      Stream: { Image: 0, Manifest: 1 },
      Phase: { Waiting: 1, Sending: 2, Repairing: 3, Ended: 4 },
      ReceiverState: { Joined: 1, Receiving: 2, Done: 3, Failed: 4 },
      FailReason: { None: 0, TargetTooSmall: 1, TargetIo: 2, DigestMismatch: 3, Aborted: 4, SenderEnded: 5, ImageRejected: 6 },
      NackKind: { SourceRuns: 1, StripeNeeds: 2, WholeChunk: 3 },
      FecScheme: { None: 0, ReedSolomonGf8: 1 },
      StatusFlag: { Overloaded: 1 },
      AnnounceFlag: { Stream: 1 },
      HeaderFlag: { Sealed: 1, Encrypted: 2, Signed: 4 },
      Cipher: { None: 0, Aes256Gcm: 1, ChaCha20Poly1305: 2, Aegis256: 3 },
    });
    for (const e of Object.values(W.WIRE_ENUMS)) expect(new Set(Object.values(e)).size).toBe(Object.values(e).length);
  });

  it('keep every packet layout of protocol v5', () => {
    const sizes = Object.fromEntries(W.LAYOUTS.map((l) => [l.name, l.size]));
    expect(sizes).toEqual({ CommonHeader: 12, DataHeader: 28, Announce: 112, StatusFixed: 84, NackFixed: 20, NackEntry: 8, Pair: 4, Ack: 36, RepairAdvFixed: 20, Lz4Prefix: 4 });
    for (const l of W.LAYOUTS) {
      let at = 0;
      for (const f of l.fields) {
        expect(f.offset).toBe(at);
        at += f.size;
      }
      if (l.specs[0]!.name === 'magic') expect(l.fields.slice(0, 5)).toEqual(W.CommonHeader.fields);
    }
    expect(W.offsetOf(W.DataHeader, 'length')).toBe(24);
    expect(() => W.offsetOf(W.DataHeader, 'nope')).toThrow('DataHeader has no field nope');
  });

  it('round-trip every layout, and reject a strict reserved field that is not 0', () => {
    for (const l of W.LAYOUTS as readonly W.Layout[]) {
      const values: Record<string, number | Buffer> = {};
      l.fields.forEach((f, i) => {
        if (f.reserved) return;
        values[f.name] = W.isBytesField(f.type) ? Buffer.alloc(f.size, i + 1) : f.type === 'u8' ? (i * 37) % 256 : f.type === 'u16' ? 0xfff0 - i : f.type === 'u32' ? 0xfffffff0 - i : 2 ** 52 + i;
      });
      const b = Buffer.alloc(l.size + 3, 0xaa);
      writeFields(l, b, values as never, 3);
      expect(readFields(l, b, 3)).toEqual(values);
      expect(readFields(l, b.subarray(0, l.size + 2), 3)).toBeNull();
      for (const f of l.fields.filter((x) => x.reserved === 'strict')) {
        const bad = Buffer.from(b);
        bad[3 + f.offset] = 1;
        expect(readFields(l, bad, 3)).toBeNull();
      }
    }
  });

  it('lay repair symbol ids out as the C header does', () => {
    const id = repairSymbolId(0x7fff, 254);
    expect(id).toBe(0xffff00fe);
    expect([isRepairSymbol(id), repairStripe(id), repairIndex(id)]).toEqual([true, 0x7fff, 254]);
    expect(isRepairSymbol(65534)).toBe(false);
    const names = new Map(wireConstants());
    expect(names.get('kRepairBit')).toBe(W.REPAIR_BIT);
    expect(names.get('kNackStripeNeeds')).toBe(W.NackKind.StripeNeeds);
    expect(names.get('kOffChunk')).toBe(16);
    expect(names.size).toBe(wireConstants().length); // every C name is unique
  });
});
