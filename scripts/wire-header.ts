// Generates the C++ side of the wire protocol from src/protocol/wire.ts, so
// the engine reads and writes packets from the same tables as TypeScript:
// native/src/core/wire.h (constants, enums, repair-id helpers),
// core/wire_layouts.h (a struct with read/write per packet layout) and
// napi/wire_names.h (every constant by name, which the addon exports).
//   npx tsx scripts/wire-header.ts          writes them (npm run gen:wire)
//   npx tsx scripts/wire-header.ts --check  exits 1 if a checked-in one is stale
// test/protocol/wire.test.ts runs the same check, and compares every
// constant with what the built addon exports.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as W from '../src/protocol/wire.js';

const NATIVE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'native', 'src');

/** C prefix of each enum's members (the names the engine has always used). */
const ENUM_PREFIX: Record<keyof typeof W.WIRE_ENUMS, string> = {
  PacketType: 'kType',
  Coding: 'kCoding',
  Stream: 'kStream',
  Phase: 'kPhase',
  ReceiverState: 'kReceiver',
  FailReason: 'kFail',
  NackKind: 'kNack',
  FecScheme: 'kFec',
  StatusFlag: 'kStatusFlag',
  AnnounceFlag: 'kAnnounceFlag',
  HeaderFlag: 'kFlag',
  Cipher: 'kCipher',
};

const C_TYPE: Record<W.FieldType, string> = { u8: 'uint8_t', u16: 'uint16_t', u32: 'uint32_t', u64: 'uint64_t', hash: 'uint8_t', nonce: 'uint8_t' };

/** Scalar constants, by C name: also the list the parity test checks against the addon. */
export function wireConstants(): [string, number][] {
  return typedConstants().map(([n, v]) => [n, v]);
}

type CType = 'uint8_t' | 'uint32_t' | 'size_t' | 'int';

function typedConstants(): [string, number, CType][] {
  const out: [string, number, CType][] = [];
  const scalars: [string, number][] = [
    ['kRepairBit', W.REPAIR_BIT],
    ['kRepairStripeShift', W.REPAIR_STRIPE_SHIFT],
    ['kRepairIndexMask', W.REPAIR_INDEX_MASK],
    ['kMaxRepairStripes', W.MAX_REPAIR_STRIPES],
    ['kHashSize', W.HASH_SIZE],
    ['kIpUdpOverhead', W.IP_UDP_OVERHEAD],
    ['kMaxUdpPayload', W.MAX_UDP_PAYLOAD],
    ['kMaxControlPacket', W.MAX_CONTROL_PACKET],
    ['kMaxNameBytes', W.MAX_NAME_BYTES],
    ['kMinSymbolSize', W.MIN_SYMBOL_SIZE],
    ['kMaxSymbolSize', W.MAX_SYMBOL_SIZE],
    ['kMaxChunkSize', W.MAX_CHUNK_SIZE],
    ['kMaxSymbolsPerChunk', W.MAX_SYMBOLS_PER_CHUNK],
    ['kFecMaxRows', W.FEC_MAX_ROWS],
    ['kSealSeqSize', W.SEAL_SEQ_SIZE],
    ['kSealTagSize', W.SEAL_TAG_SIZE],
    ['kSealTrailerSize', W.SEAL_TRAILER_SIZE],
    ['kSealNonceSize', W.SEAL_NONCE_SIZE],
    ['kSealKeySize', W.SEAL_KEY_SIZE],
    ['kSignatureSize', W.SIGNATURE_SIZE],
    ['kNonceSize', W.NONCE_SIZE],
    ['kReplayWindowData', W.REPLAY_WINDOW_DATA],
    ['kReplayWindowControl', W.REPLAY_WINDOW_CONTROL],
    ['kSealOriginSenderData', W.SealOrigin.SenderData],
    ['kSealOriginSenderControl', W.SealOrigin.SenderControl],
    ['kSealOriginReceiver', W.SealOrigin.Receiver],
  ];
  out.push(['kMagic', W.MAGIC, 'uint32_t'], ['kVersion', W.VERSION, 'uint8_t']);
  for (const [n, v] of scalars) out.push([n, v, 'uint32_t']);
  for (const [name, e] of Object.entries(W.WIRE_ENUMS)) {
    const prefix = ENUM_PREFIX[name as keyof typeof W.WIRE_ENUMS];
    for (const [member, value] of Object.entries(e)) out.push([prefix + member, value, 'uint8_t']);
    if (Object.keys(e).length && name !== 'StatusFlag' && name !== 'HeaderFlag') out.push([`${prefix}Count`, Math.max(...Object.values(e)) + 1, 'int']);
  }
  for (const l of W.LAYOUTS) {
    out.push([sizeName(l), l.size, 'size_t']);
    // Every packet starts with the common header: its offsets are named once.
    for (const f of l.fields) if (l === W.CommonHeader || !isCommon(l, f)) out.push([offName(l, f), f.offset, 'size_t']);
  }
  return out;
}

// The common and DATA headers' offsets keep the short names the engine uses
// (kOffSession, kOffChunk, ...); other layouts' are prefixed with their name.
function offName(l: W.Layout, f: W.Field): string {
  const field = f.name[0]!.toUpperCase() + f.name.slice(1);
  if (l === W.CommonHeader) return `kOff${field}`;
  if (l === W.DataHeader) return f.reserved ? 'kOffDataReserved' : `kOff${field}`;
  return `k${l.name}Off${field}`;
}

function isCommon(l: W.Layout, f: W.Field): boolean {
  return l.specs[0]?.name === 'magic' && W.CommonHeader.fields.some((c) => c.name === f.name && c.offset === f.offset);
}

function sizeName(l: W.Layout): string {
  return `k${l.name}Size`;
}

function hex(v: number): string {
  return v > 0xffff ? `0x${v.toString(16).toUpperCase()}u` : `${v}u`;
}

// A layout that starts with the common header holds it as a `head` member,
// written and read by CommonHeader's own functions.
function structFor(l: W.Layout): string {
  const headed = l !== W.CommonHeader && l.fields.slice(0, W.CommonHeader.fields.length).every((f) => isCommon(l, f));
  const own = headed ? l.fields.slice(W.CommonHeader.fields.length) : l.fields;
  const members = [
    ...(headed ? ['  CommonHeader head;'] : []),
    ...own.filter((f) => !f.reserved).map((f) => (W.isBytesField(f.type) ? `  uint8_t ${f.name}[${f.size}];` : `  ${C_TYPE[f.type]} ${f.name};`)),
  ].join('\n');
  const writes = [
    ...(headed ? ['  write(p, v.head);'] : []),
    ...own.map((f) => {
      const at = `p + ${f.offset}`;
      if (W.isBytesField(f.type)) return `  std::memcpy(${at}, v.${f.name}, ${f.size});`;
      if (f.type === 'u8') return `  p[${f.offset}] = ${f.reserved ? '0' : `v.${f.name}`};`;
      return `  store${f.size * 8}(${at}, ${f.reserved ? '0' : `v.${f.name}`});`;
    }),
  ].join('\n');
  const reads = [
    ...(headed ? ['  read(p, &out->head);'] : []),
    ...own.flatMap((f) => {
      const at = `p + ${f.offset}`;
      const value = f.type === 'u8' ? `p[${f.offset}]` : `load${f.size * 8}(${at})`;
      if (f.reserved === 'strict') return [`  if (${value} != 0) return false;`];
      if (f.reserved) return [];
      if (W.isBytesField(f.type)) return [`  std::memcpy(out->${f.name}, ${at}, ${f.size});`];
      return [`  out->${f.name} = ${value};`];
    }),
  ].join('\n');
  return `struct ${l.name} {
${members}
};

// Writes the ${l.size} bytes of a ${l.name} at p (reserved fields as 0).
inline void write(uint8_t* p, const ${l.name}& v) {
${writes}
}

// Reads a ${l.name} from the ${l.size} bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, ${l.name}* out) {
${reads}
  return true;
}
`;
}

const BANNER = `// GENERATED from src/protocol/wire.ts by scripts/wire-header.ts: do not edit.
// Regenerate with \`npm run gen:wire\`; test/protocol/wire.test.ts fails when
// this file is stale. docs/PROTOCOL.md explains every field.`;

function constantsHeader(): string {
  // Enum members are declared by their enums below; everything else here.
  const consts = typedConstants()
    .filter(([n, , t]) => !(t === 'uint8_t' && n !== 'kVersion'))
    .map(([n, v, t]) => `constexpr ${t} ${n} = ${t === 'int' ? v : hex(v)};`)
    .join('\n');
  const enums = Object.entries(W.WIRE_ENUMS)
    .map(([name, e]) => {
      const prefix = ENUM_PREFIX[name as keyof typeof W.WIRE_ENUMS];
      const members = Object.entries(e)
        .map(([m, v]) => `  ${prefix}${m} = ${v},`)
        .join('\n');
      return members ? `enum Wire${name} : uint8_t {\n${members}\n};` : `// ${name}: no values defined yet.`;
    })
    .join('\n');
  return `${BANNER}
// Every constant and enum of the protocol; wire_layouts.h has a struct per
// packet layout.
#pragma once

#include <cstddef>
#include <cstdint>

namespace blockcast {

// All multi-byte fields are little-endian. Loads and stores assemble bytes
// explicitly: no unaligned access, no dependence on host byte order.
inline uint16_t load16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline uint64_t load64(const uint8_t* p) { return uint64_t(load32(p)) | (uint64_t(load32(p + 4)) << 32); }
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}
inline void store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = uint8_t(v >> (8 * i));
}

${consts}

// Wire enums. Append-only: never renumber or reuse a value.
${enums}

// Repair symbol ids: bit 31, the stripe in bits 16..30, the parity index in bits 0..15.
constexpr bool isRepairSymbol(uint32_t id) { return (id & kRepairBit) != 0; }
constexpr uint32_t repairSymbolId(uint32_t stripe, uint32_t index) {
  return kRepairBit | (stripe << kRepairStripeShift) | (index & kRepairIndexMask);
}
constexpr uint32_t repairStripe(uint32_t id) { return (id & ~kRepairBit) >> kRepairStripeShift; }
constexpr uint32_t repairIndex(uint32_t id) { return id & kRepairIndexMask; }

}  // namespace blockcast

#include "core/wire_layouts.h"
`;
}

function layoutsHeader(): string {
  return `${BANNER}
// One struct per fixed packet layout, with write() and read().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/wire.h"

namespace blockcast::wire {

${W.LAYOUTS.map(structFor).join('\n')}
}  // namespace blockcast::wire
`;
}

function namesHeader(): string {
  const table = wireConstants()
    .map(([n, v]) => `    {"${n}", ${v}},`)
    .join('\n');
  return `${BANNER}
// Every constant of core/wire.h by name, for the addon to export to the
// parity test.
#pragma once

namespace blockcast::wire {

struct NamedConstant {
  const char* name;
  double value;
};

inline constexpr NamedConstant kConstants[] = {
${table}
};

}  // namespace blockcast::wire
`;
}

/** The generated files, by path. */
export function renderWireHeaders(): Map<string, string> {
  return new Map([
    [path.join(NATIVE, 'core', 'wire.h'), constantsHeader()],
    [path.join(NATIVE, 'core', 'wire_layouts.h'), layoutsHeader()],
    [path.join(NATIVE, 'napi', 'wire_names.h'), namesHeader()],
  ]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  for (const [file, text] of renderWireHeaders()) {
    if (!check) {
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    } else if (readFileSync(file, 'utf8') !== text) {
      console.error(`${file} is stale: run npm run gen:wire`);
      process.exitCode = 1;
    }
  }
}
