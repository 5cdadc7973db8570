#include "napi/rx_binding.h"

#include <arpa/inet.h>

#include <cstring>

#include "napi/options.h"
#include "core/wire.h"

namespace blockcast {

Napi::Function Receiver::Init(Napi::Env env) {
  return DefineClass(env, "Receiver",
                     {InstanceMethod("configure", &Receiver::Configure), InstanceMethod("expect", &Receiver::Expect),
                      InstanceMethod("missing", &Receiver::Missing),
                      InstanceMethod("reopen", &Receiver::Reopen), InstanceMethod("hold", &Receiver::Hold), InstanceMethod("provide", &Receiver::Provide),
                      InstanceMethod("setSealKey", &Receiver::SetSealKey),
                      InstanceMethod("stats", &Receiver::Stats), InstanceMethod("sample", &Receiver::Sample),
                      InstanceMethod("close", &Receiver::Close)});
}

// new Receiver(options, onBatch)
Receiver::Receiver(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Receiver>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "Receiver(options, onBatch)");
  Napi::Object o = info[0].As<Napi::Object>();
  RxOptions opts;
  opts.socket = readMcastOptions(o);
  opts.flushNs = uint64_t(attrUint32(o, "flushMs")) * 1000000ull;
  opts.dropBurstStart = attrUint32(o, "dropBurstStart");
  opts.dropBurstCount = attrUint32(o, "dropBurstCount");
  opts.gro = attrBool(o, "gro");

  SocketError err;
  engine_ = RxEngine::open(opts, &err);
  if (!engine_) throw socketError(env, err);
  tsfn_ = BatchTsfn::New(env, info[1].As<Napi::Function>(), "blockcast-receiver", 0, 1, this);
  engine_->start([this](std::unique_ptr<RxBatch> batch) {
    if (tsfn_.NonBlockingCall(batch.get()) == napi_ok) batch.release();  // else only while shutting down
  });
}

Receiver::~Receiver() { stop(); }

void Receiver::stop() {
  if (closed_) return;
  closed_ = true;
  if (engine_) engine_->stop();
  // Abort: batches still queued reach callReceiverBatch with no Env and are
  // freed there without touching this object, which may be gone by then.
  tsfn_.Abort();
}

// configure({ session, symbolSize, stripeSize, streams: [{ chunkCount, maxLength }, ...], manifestReserve? })
Napi::Value Receiver::Configure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "configure(options)");
  Napi::Object o = info[0].As<Napi::Object>();
  RxConfig config;
  config.session = attrUint32(o, "session");
  config.symbolSize = attrUint32(o, "symbolSize");
  config.stripeSize = attrUint32(o, "stripeSize");
  Napi::Value sv = o.Get("streams");
  if (!sv.IsArray()) throw Napi::TypeError::New(env, "streams must be an array");
  Napi::Array arr = sv.As<Napi::Array>();
  if (arr.Length() != kStreamCount) throw Napi::RangeError::New(env, "streams must list every stream");
  for (uint32_t i = 0; i < kStreamCount; i++) {
    Napi::Value e = arr.Get(i);
    if (!e.IsObject()) throw Napi::TypeError::New(env, "stream entry must be an object");
    Napi::Object so = e.As<Napi::Object>();
    config.streams[i].maxLength = attrUint32(so, "maxLength");
    config.streams[i].chunkCount = attrUint32(so, "chunkCount");
  }
  if (o.Has("manifestReserve")) config.manifestReserve = attrUint32(o, "manifestReserve");
  Status s = engine_->configure(config);
  if (!s.ok()) throw statusError(env, s);
  return env.Undefined();
}

// expect(stream, lengths: Uint32Array[, first]): every chunk's length, or (first given) those from `first` on
Napi::Value Receiver::Expect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray() || (info.Length() > 2 && !info[2].IsNumber()))
    throw Napi::TypeError::New(env, "expect(stream, lengths[, first])");
  uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
  auto arr = info[1].As<Napi::Uint32Array>();
  Status s = info.Length() > 2 ? engine_->expectRange(stream, info[2].As<Napi::Number>().Uint32Value(), arr.Data(), arr.ElementLength())
                               : engine_->expect(stream, arr.Data(), arr.ElementLength());
  if (!s.ok()) throw statusError(env, s);
  return env.Undefined();
}

// missing(stream, below, maxEntries) -> Uint32Array of entries (core/wire.h)
Napi::Value Receiver::Missing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "missing(stream, below, maxEntries)");
  uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
  int64_t below = info[1].As<Napi::Number>().Int64Value();
  uint32_t maxEntries = info[2].As<Napi::Number>().Uint32Value();
  std::vector<uint32_t> out = engine_->missing(stream, below, maxEntries);
  Napi::Uint32Array result = Napi::Uint32Array::New(env, out.size());
  if (!out.empty()) std::memcpy(result.Data(), out.data(), out.size() * sizeof(uint32_t));
  return result;
}

// reopen(stream, chunk): JS found the chunk corrupt or could not keep it.
Napi::Value Receiver::Reopen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "reopen(stream, chunk)");
  engine_->reopen(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value());
  return env.Undefined();
}

// hold(stream, chunk): the target already holds the chunk (a resumed receiver): never receive or report it.
Napi::Value Receiver::Hold(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "hold(stream, chunk)");
  engine_->hold(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value());
  return env.Undefined();
}

// provide(buffer, id): JS must keep the buffer alive and untouched until it
// comes back, by id, inside a completed chunk.
Napi::Value Receiver::Provide(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "provide(buffer, id)");
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  Status s = engine_->provide(buf.Data(), buf.Length(), info[1].As<Napi::Number>().Uint32Value());
  if (!s.ok()) throw statusError(env, s);
  return env.Undefined();
}

// setSealKey(cipher, key: Buffer of 32): the sender's DATA key; cipher 0
// (no key) opens the session again.
Napi::Value Receiver::SetSealKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber() || (info.Length() > 1 && !info[1].IsBuffer() && !info[1].IsUndefined()))
    throw Napi::TypeError::New(env, "setSealKey(cipher, key)");
  uint32_t cipher = info[0].As<Napi::Number>().Uint32Value();
  const uint8_t* key = nullptr;
  size_t keyLength = 0;
  if (info.Length() > 1 && info[1].IsBuffer()) {
    auto buf = info[1].As<Napi::Buffer<uint8_t>>();
    key = buf.Data();
    keyLength = buf.Length();
  }
  if (cipher > 0xFF) throw Napi::RangeError::New(env, "unknown seal cipher (1 AES-256-GCM, 2 ChaCha20-Poly1305)");
  Status s = engine_->setSealKey(uint8_t(cipher), key, keyLength);
  if (!s.ok()) throw statusError(env, s);
  return env.Undefined();
}

Napi::Value Receiver::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RxStats t = engine_->stats();
  Napi::Object s = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { s.Set(k, Napi::Number::New(env, v)); };
  num("datagrams", double(t.datagrams));
  num("dataPackets", double(t.dataPackets));
  num("payloadBytes", double(t.payloadBytes));
  num("duplicates", double(t.duplicates));
  num("malformed", double(t.malformed));
  num("foreign", double(t.foreign));
  num("early", double(t.early));
  num("noBuffer", double(t.noBuffer));
  num("chunksCompleted", double(t.chunksCompleted));
  num("controls", double(t.controls));
  num("controlOverflow", double(t.controlOverflow));
  num("repeatedAnnounces", double(t.repeatedAnnounces));
  num("groBatches", double(t.groBatches));
  num("socketDrops", double(t.socketDrops));
  num("repairSymbols", double(t.repairSymbols));
  num("decodedSymbols", double(t.decodedSymbols));
  num("decodeFailures", double(t.decodeFailures));
  num("injectedDrops", double(t.injectedDrops));
  num("forged", double(t.forged));
  num("replayed", double(t.replayed));
  num("noKey", double(t.noKey));
  num("dataBytes", double(t.dataBytes));
  num("sequenced", double(t.sequenced));
  s.Set("gro", Napi::Boolean::New(env, t.gro));
  num("socketBuffer", t.socketBuffer);
  num("assembling", double(t.assembling));
  num("freeSlots", double(t.freeSlots));
  Napi::Array hs = Napi::Array::New(env, kStreamCount);
  for (uint32_t i = 0; i < kStreamCount; i++) hs.Set(i, Napi::Number::New(env, double(t.highestSeen[i])));
  s.Set("highestSeen", hs);
  return s;
}

// sample(out: Float64Array(4)): what the receiver's timer needs every tick,
// written into the caller's array. stats() builds a 25-key object and asks the
// kernel for the socket buffer size: too dear up to 50 times a second in each of
// hundreds of receivers on one host.
Napi::Value Receiver::Sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() < 4)
    throw Napi::TypeError::New(env, "sample(out: Float64Array of at least 4)");
  engine_->sample(info[0].As<Napi::Float64Array>().Data());
  return env.Undefined();
}

Napi::Value Receiver::Close(const Napi::CallbackInfo& info) {
  stop();
  return info.Env().Undefined();
}

void callReceiverBatch(Napi::Env env, Napi::Function cb, Receiver*, RxBatch* batch) {
  std::unique_ptr<RxBatch> owned(batch);
  if (env == nullptr || cb == nullptr) return;
  Napi::Array chunks = Napi::Array::New(env, owned->chunks.size());
  for (size_t i = 0; i < owned->chunks.size(); i++) {
    CompletedChunk& c = owned->chunks[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("stream", Napi::Number::New(env, c.stream));
    o.Set("chunk", Napi::Number::New(env, c.chunk));
    o.Set("slot", Napi::Number::New(env, c.slot));
    o.Set("length", Napi::Number::New(env, c.length));
    o.Set("coding", Napi::Number::New(env, c.coding));
    chunks.Set(uint32_t(i), o);
  }
  Napi::Array controls = Napi::Array::New(env, owned->controls.size());
  for (size_t i = 0; i < owned->controls.size(); i++) {
    ControlPacket& p = owned->controls[i];
    char addr[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &p.from.sin_addr, addr, sizeof addr);
    Napi::Object o = Napi::Object::New(env);
    o.Set("data", Napi::Buffer<uint8_t>::Copy(env, p.data.data(), p.data.size()));
    o.Set("address", Napi::String::New(env, addr));
    o.Set("port", Napi::Number::New(env, ntohs(p.from.sin_port)));
    controls.Set(uint32_t(i), o);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("chunks", chunks);
  result.Set("controls", controls);
  cb.Call({result});
}

}  // namespace blockcast
