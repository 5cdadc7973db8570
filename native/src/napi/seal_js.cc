// Control packets are few (reports, NACKs, announces: thousands a second at
// most), so each call keys its own Sealer rather than keeping one per key:
// a key schedule per packet costs microseconds, against the 100 ms and more
// between one receiver's reports.
#include "napi/seal_js.h"

#include <cstdint>
#include <string>

#include "core/seal.h"
#include "core/wire.h"
#include "napi/args.h"

namespace blockcast {

namespace {

std::unique_ptr<Sealer> sealerArg(const Napi::CallbackInfo& info) {
  auto cipher = uint8_t(numberArg(info, 0, "cipher", 255));
  auto key = bufferArg(info, 1, "key");
  Status status;
  auto sealer = Sealer::create(cipher, key.Data(), key.Length(), &status);
  if (!sealer) throw Napi::Error::New(info.Env(), status.message);
  return sealer;
}

// seal(cipher, key, origin, seq, packet, aadLength): packet holds aadLength
// bytes of additional data, the bytes to encrypt, then room for the
// trailer; sealed in place.
Napi::Value Seal(const Napi::CallbackInfo& info) {
  auto sealer = sealerArg(info);
  auto origin = uint32_t(numberArg(info, 2, "origin", 4294967295.0));
  auto seq = uint64_t(numberArg(info, 3, "seq", kMaxSafeInteger));  // a session never comes near 2^53
  auto packet = bufferArg(info, 4, "packet");
  auto aad = size_t(numberArg(info, 5, "aadLength", kMaxSafeInteger));
  if (aad > packet.Length() || packet.Length() - aad < kSealTrailerSize)
    throw Napi::RangeError::New(info.Env(), "packet has no room for the additional data and the trailer");
  size_t plain = packet.Length() - aad - kSealTrailerSize;
  sealer->seal(packet.Data(), aad, packet.Data() + aad, plain, origin, seq);
  return info.Env().Undefined();
}

// open(cipher, key, origin, packet, aadLength) -> the trailer's seq when the
// tag verifies (the bytes between the additional data and the trailer are
// then decrypted in place), else -1.
Napi::Value Open(const Napi::CallbackInfo& info) {
  auto sealer = sealerArg(info);
  auto origin = uint32_t(numberArg(info, 2, "origin", 4294967295.0));
  auto packet = bufferArg(info, 3, "packet");
  auto aad = size_t(numberArg(info, 4, "aadLength", kMaxSafeInteger));
  uint64_t seq = 0;
  if (!sealer->open(packet.Data(), packet.Length(), aad, origin, &seq)) return Napi::Number::New(info.Env(), -1);
  return Napi::Number::New(info.Env(), double(seq));
}

Napi::Value Ciphers(const Napi::CallbackInfo& info) {
  std::vector<uint8_t> ids = sealCiphers();
  Napi::Array out = Napi::Array::New(info.Env(), ids.size());
  for (size_t i = 0; i < ids.size(); i++) out.Set(uint32_t(i), Napi::Number::New(info.Env(), ids[i]));
  return out;
}

}  // namespace

Napi::Object SealExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ciphers", Napi::Function::New(env, Ciphers, "ciphers"));
  o.Set("seal", Napi::Function::New(env, Seal, "seal"));
  o.Set("open", Napi::Function::New(env, Open, "open"));
  return o;
}

}  // namespace blockcast
