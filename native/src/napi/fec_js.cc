#include "napi/fec_js.h"

#include <string>
#include <vector>

#include "core/fec.h"

namespace blockcast {

namespace {

fec::Backend backendArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return fec::bestBackend();
  std::string name = info[i].As<Napi::String>().Utf8Value();
  if (name == "portable") return fec::Backend::Portable;
  if (name == "isa-l" && fec::bestBackend() == fec::Backend::Isal) return fec::Backend::Isal;
  throw Napi::Error::New(info.Env(), "FEC backend not available: " + name);
}

// Equal-length Buffers from a JS array; returns their length.
size_t buffers(Napi::Env env, Napi::Value v, std::vector<const uint8_t*>* out) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, "expected an array of Buffers");
  Napi::Array a = v.As<Napi::Array>();
  size_t len = 0;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsBuffer()) throw Napi::TypeError::New(env, "expected an array of Buffers");
    auto b = e.As<Napi::Buffer<uint8_t>>();
    if (i > 0 && b.Length() != len) throw Napi::RangeError::New(env, "symbols must have equal lengths");
    len = b.Length();
    out->push_back(b.Data());
  }
  return len;
}

std::vector<int> ints(Napi::Env env, Napi::Value v) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, "expected an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::Number>().Int32Value());
  return out;
}

Napi::Array newBuffers(Napi::Env env, size_t n, size_t len, std::vector<uint8_t*>* ptrs) {
  Napi::Array arr = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    auto b = Napi::Buffer<uint8_t>::New(env, len);
    ptrs->push_back(b.Data());
    arr.Set(uint32_t(i), b);
  }
  return arr;
}

// encode(sources: Buffer[], parityIndices: number[], backend?) -> Buffer[]
Napi::Value Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<const uint8_t*> src;
  size_t len = buffers(env, info[0], &src);
  std::vector<int> parity = ints(env, info[1]);
  int k = int(src.size());
  if (k < 1 || k >= fec::kMaxRows) throw Napi::RangeError::New(env, "stripe must hold 1..254 sources");
  for (int p : parity)
    if (p < 0 || k + p >= fec::kMaxRows) throw Napi::RangeError::New(env, "parity index out of range");
  std::vector<uint8_t*> out;
  Napi::Array result = newBuffers(env, parity.size(), len, &out);
  fec::encode(backendArg(info, 2), k, int(len), src.data(), int(parity.size()), parity.data(), out.data());
  return result;
}

// decode(have: Buffer[], rows: number[], missing: number[], backend?) -> Buffer[] | null
Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<const uint8_t*> have;
  size_t len = buffers(env, info[0], &have);
  std::vector<int> rows = ints(env, info[1]);
  std::vector<int> missing = ints(env, info[2]);
  if (rows.size() != have.size()) throw Napi::RangeError::New(env, "one row per symbol");
  std::vector<uint8_t*> out;
  Napi::Array result = newBuffers(env, missing.size(), len, &out);
  bool ok = fec::decode(backendArg(info, 3), int(have.size()), int(len), have.data(), rows.data(), int(missing.size()),
                        missing.data(), out.data());
  return ok ? Napi::Value(result) : env.Null();
}

}  // namespace

Napi::Object FecExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", Napi::String::New(env, fec::backendName(fec::bestBackend())));
  o.Set("encode", Napi::Function::New(env, Encode, "encode"));
  o.Set("decode", Napi::Function::New(env, Decode, "decode"));
  return o;
}

}  // namespace blockcast
