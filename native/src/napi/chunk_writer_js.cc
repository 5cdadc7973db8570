#include "napi/chunk_writer_js.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "core/chunk_codec.h"
#include "napi/args.h"

namespace blockcast {

namespace {

constexpr double kMaxSafe = kMaxSafeInteger;
constexpr uint32_t kMaxRawLength = 1u << 30;     // far above any chunk size; keeps scratch growth bounded
constexpr uint32_t kMaxThreads = 64;

Napi::Uint8Array bytesArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Uint8Array or Buffer");
  return info[i].As<Napi::Uint8Array>();
}

// The arguments write() and verify() share: (id, wire, coding, rawLength, expected, ...).
ChunkWrite chunkArgs(const Napi::CallbackInfo& info, Napi::Uint8Array* wire) {
  ChunkWrite job;
  job.id = uint64_t(numberArg(info, 0, "id", kMaxSafe));
  *wire = bytesArg(info, 1, "wire");
  job.coding = uint8_t(numberArg(info, 2, "coding", 255));
  job.rawLength = size_t(numberArg(info, 3, "rawLength", kMaxRawLength));
  Napi::Uint8Array expected = bytesArg(info, 4, "expected");
  if (expected.ByteLength() != job.expected.size()) throw Napi::RangeError::New(info.Env(), "expected must be 32 bytes");
  std::memcpy(job.expected.data(), expected.Data(), job.expected.size());
  return job;
}

const char* outcomeName(WriteOutcome o) {
  switch (o) {
    case WriteOutcome::Written:
      return "written";
    case WriteOutcome::Mismatch:
      return "mismatch";
    case WriteOutcome::Undecodable:
      return "undecodable";
    case WriteOutcome::IoError:
      return "io";
    case WriteOutcome::Verified:
      return "verified";
  }
  return "io";
}

// blake3(data) -> 32-byte Buffer
Napi::Value Blake3(const Napi::CallbackInfo& info) {
  Napi::Uint8Array data = bytesArg(info, 0, "data");
  Digest d = blake3Digest(data.Data(), data.ByteLength());
  return Napi::Buffer<uint8_t>::Copy(info.Env(), d.data(), d.size());
}

// decodes(coding) -> whether ChunkWriter decodes this coding natively
Napi::Value Decodes(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), decodesNatively(uint8_t(numberArg(info, 0, "coding", 255))));
}

}  // namespace

Napi::Function ChunkWriterJs::Init(Napi::Env env) {
  return DefineClass(env, "ChunkWriter", {InstanceMethod("write", &ChunkWriterJs::Write), InstanceMethod("verify", &ChunkWriterJs::Verify),
                                    InstanceMethod("close", &ChunkWriterJs::Close)});
}

// new ChunkWriter(threads, onResults, direct = false)
ChunkWriterJs::ChunkWriterJs(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ChunkWriterJs>(info) {
  Napi::Env env = info.Env();
  unsigned threads = unsigned(numberArg(info, 0, "threads", kMaxThreads));
  if (threads == 0) throw Napi::RangeError::New(env, "threads must be at least 1");
  if (info.Length() < 2 || !info[1].IsFunction()) throw Napi::TypeError::New(env, "ChunkWriter(threads, onResults, direct?)");
  bool direct = info.Length() > 2 && info[2].ToBoolean().Value();
  tsfn_ = ResultsTsfn::New(env, info[1].As<Napi::Function>(), "blockcast-writer", 0, 1, this);
  tsfn_.Unref(env);  // only writes in flight keep the process alive
  writer_ = std::make_unique<ChunkWriter>(threads, [this] { tsfn_.NonBlockingCall(nullptr); }, direct);
}

ChunkWriterJs::~ChunkWriterJs() { stop(); }

void ChunkWriterJs::stop() {
  if (closed_) return;
  closed_ = true;
  if (writer_) writer_->stop();  // no writer thread calls the TSFN after this
  tsfn_.Abort();
}

// write(id, wire, coding, rawLength, expected, fd, offset): decode `wire`,
// check the raw bytes against `expected` and pwrite them at `offset`. `wire`
// must not change until the result with `id` is delivered.
Napi::Value ChunkWriterJs::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "ChunkWriter is closed");
  Napi::Uint8Array wire;
  ChunkWrite job = chunkArgs(info, &wire);
  job.fd = int(numberArg(info, 5, "fd", 2147483647.0));
  job.offset = int64_t(numberArg(info, 6, "offset", kMaxSafe - kMaxRawLength));
  submit(env, job, wire, env.Undefined());
  return env.Undefined();
}

// verify(id, wire, coding, rawLength, expected, out): decode `wire` into
// `out` (a raw chunk is hashed in place) and check the raw bytes against
// `expected`; nothing is written. Neither buffer may change until the result
// with `id` is delivered; `out` then holds the verified bytes of a coded chunk.
Napi::Value ChunkWriterJs::Verify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "ChunkWriter is closed");
  Napi::Uint8Array wire;
  ChunkWrite job = chunkArgs(info, &wire);
  Napi::Uint8Array out = bytesArg(info, 5, "out");
  const uint8_t* w = wire.Data();
  const uint8_t* o = out.Data();
  if (o < w + wire.ByteLength() && w < o + out.ByteLength()) throw Napi::RangeError::New(env, "out must not overlap wire");
  job.fd = -1;
  job.out = out.Data();
  job.outCapacity = out.ByteLength();
  submit(env, job, wire, out);
  return env.Undefined();
}

void ChunkWriterJs::submit(Napi::Env env, const ChunkWrite& base, Napi::Uint8Array wire, Napi::Value out) {
  if (pending_.count(base.id)) throw Napi::Error::New(env, "a job with this id is in flight");
  ChunkWrite job = base;
  job.wire = wire.Data();
  job.wireLength = wire.ByteLength();
  if (pending_.empty()) tsfn_.Ref(env);
  Held held{Napi::Persistent(wire.As<Napi::Object>()), Napi::ObjectReference()};
  if (out.IsObject()) held.out = Napi::Persistent(out.As<Napi::Object>());
  pending_.emplace(job.id, std::move(held));
  writer_->submit(job);
}

Napi::Value ChunkWriterJs::Close(const Napi::CallbackInfo& info) {
  stop();
  pending_.clear();
  return info.Env().Undefined();
}

// On the JS thread, once per batch: every finished result, as
// { id, outcome, errno, digest, message }.
void callWriteResults(Napi::Env env, Napi::Function cb, ChunkWriterJs* self, int*) {
  if (env == nullptr || cb == nullptr || self->closed_) return;
  std::vector<ChunkWriteResult> results = self->writer_->take();
  if (results.empty()) return;
  Napi::Array out = Napi::Array::New(env, results.size());
  for (size_t i = 0; i < results.size(); i++) {
    const ChunkWriteResult& r = results[i];
    self->pending_.erase(r.id);
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::Number::New(env, double(r.id)));
    o.Set("outcome", Napi::String::New(env, outcomeName(r.outcome)));
    o.Set("errno", Napi::Number::New(env, r.err));
    o.Set("digest", Napi::Buffer<uint8_t>::Copy(env, r.digest.data(), r.digest.size()));
    o.Set("message", Napi::String::New(env, r.message));
    out.Set(uint32_t(i), o);
  }
  if (self->pending_.empty()) self->tsfn_.Unref(env);
  cb.Call({out});
}

Napi::Object ChunkExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ChunkWriter", ChunkWriterJs::Init(env));
  o.Set("blake3", Napi::Function::New(env, Blake3, "blake3"));
  o.Set("decodes", Napi::Function::New(env, Decodes, "decodes"));
  return o;
}

}  // namespace blockcast
