// Module exports only: the Sender and Receiver classes, the protocol
// constants that test/protocol compares with src/protocol/constants.ts, and
// the FEC codec for tests and benchmarks, and file-system helpers.
#include <napi.h>

#include "fec_js.h"
#include "fsutil.h"
#include "protocol.h"
#include "rx.h"
#include "tx.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace blockcast;
  exports.Set("Sender", Sender::Init(env));
  exports.Set("Receiver", Receiver::Init(env));
  Napi::Object p = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { p.Set(k, Napi::Number::New(env, v)); };
  num("magic", kMagic);
  num("version", kVersion);
  num("typeData", kTypeData);
  num("typeAnnounce", kTypeAnnounce);
  num("typeStatus", kTypeStatus);
  num("typeNack", kTypeNack);
  num("typeAck", kTypeAck);
  num("typeRepairAdv", kTypeRepairAdv);
  num("commonHeaderSize", kCommonHeaderSize);
  num("dataHeaderSize", kDataHeaderSize);
  num("offSession", kOffSession);
  num("offStream", kOffStream);
  num("offChunk", kOffChunk);
  num("offSymbol", kOffSymbol);
  num("offCoding", kOffCoding);
  num("offLength", kOffLength);
  num("codingRaw", kCodingRaw);
  num("codingLz4", kCodingLz4);
  num("repairBit", kRepairBit);
  num("ipUdpOverhead", kIpUdpOverhead);
  num("maxChunkSize", kMaxChunkSize);
  num("minSymbolSize", kMinSymbolSize);
  num("maxSymbolSize", kMaxSymbolSize);
  exports.Set("protocol", p);
  exports.Set("fec", FecExports(env));
  exports.Set("fs", FsExports(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(blockcast_native, Init)
