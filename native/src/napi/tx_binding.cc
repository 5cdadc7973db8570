#include "napi/tx_binding.h"

#include <cstring>

#include "napi/options.h"
#include "core/wire.h"

namespace blockcast {

Napi::Function Sender::Init(Napi::Env env) {
  return DefineClass(env, "Sender",
                     {InstanceMethod("send", &Sender::Send), InstanceMethod("sendControl", &Sender::SendControl),
                      InstanceMethod("setRate", &Sender::SetRate), InstanceMethod("stats", &Sender::Stats),
                      InstanceMethod("close", &Sender::Close)});
}

namespace {

// Optional: sealCipher (absent or 0: open session), sealKey (Buffer of 32),
// sealEncrypt (default true).
TxSeal readTxSeal(const Napi::Object& o) {
  TxSeal seal;
  if (o.Get("sealCipher").IsUndefined()) return seal;
  uint32_t cipher = attrUint32(o, "sealCipher");
  if (cipher == kCipherNone) return seal;
  if (cipher > 0xFF) throw Napi::RangeError::New(o.Env(), "unknown seal cipher (1 AES-256-GCM, 2 ChaCha20-Poly1305)");
  Napi::Value key = o.Get("sealKey");
  if (!key.IsBuffer() || key.As<Napi::Buffer<uint8_t>>().Length() != seal.key.size())
    throw Napi::TypeError::New(o.Env(), "sealKey must be a Buffer of 32 bytes");
  std::memcpy(seal.key.data(), key.As<Napi::Buffer<uint8_t>>().Data(), seal.key.size());
  seal.cipher = static_cast<uint8_t>(cipher);
  seal.encrypt = o.Get("sealEncrypt").IsUndefined() || attrBool(o, "sealEncrypt");
  return seal;
}

}  // namespace

// new Sender(options, onJobsDone)
Sender::Sender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Sender>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "Sender(options, onJobsDone)");
  Napi::Object o = info[0].As<Napi::Object>();
  TxOptions opts;
  opts.socket = readMcastOptions(o);
  opts.socket.ttl = static_cast<int>(attrUint32(o, "ttl"));
  opts.socket.loopback = attrBool(o, "loopback");
  opts.session = attrUint32(o, "session");
  opts.symbolSize = attrUint32(o, "symbolSize");
  opts.stripeSize = attrUint32(o, "stripeSize");
  opts.gso = attrBool(o, "gso");
  opts.rateBytesPerSecond = static_cast<uint64_t>(attrNumber(o, "rateBytesPerSecond"));
  opts.seal = readTxSeal(o);

  Status status;
  SocketError err;
  engine_ = TxEngine::open(opts, &status, &err);
  opts.seal.key.fill(0);
  if (!status.ok()) throw statusError(env, status);
  if (!engine_) throw socketError(env, err);
  tsfn_ = DoneTsfn::New(env, info[1].As<Napi::Function>(), "blockcast-sender", 0, 1);
  engine_->start([this](const JobDone& done) {
    auto* batch = new std::vector<JobDone>{done};
    if (tsfn_.BlockingCall(batch) == napi_ok) return true;
    delete batch;
    return false;
  });
}

Sender::~Sender() { stop(); }

void Sender::stop() {
  if (closed_) return;
  closed_ = true;
  if (engine_) engine_->stop();
  tsfn_.Abort();  // completions still queued are freed without a call into JS
}

// send({ id, stream, coding, chunk, data: Buffer, symbols?: Uint32Array, parity?: Uint32Array, urgent: bool })
Napi::Value Sender::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "sender is closed");
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "send(job)");
  Napi::Object o = info[0].As<Napi::Object>();
  SendJob job;
  job.id = attrUint32(o, "id");
  job.stream = static_cast<uint8_t>(attrUint32(o, "stream"));
  job.chunk = attrUint32(o, "chunk");
  uint32_t coding = attrUint32(o, "coding");
  if (coding >= kCodingCount) throw Napi::RangeError::New(env, "job.coding is unknown");
  job.coding = static_cast<uint8_t>(coding);
  Napi::Value data = o.Get("data");
  if (!data.IsBuffer()) throw Napi::TypeError::New(env, "job.data must be a Buffer");
  auto buf = data.As<Napi::Buffer<uint8_t>>();
  job.data = buf.Data();
  job.length = buf.Length();
  Napi::Value syms = o.Get("symbols");
  if (syms.IsTypedArray()) {
    auto arr = syms.As<Napi::Uint32Array>();
    job.allSymbols = false;
    job.symbols.assign(arr.Data(), arr.Data() + arr.ElementLength());
  }
  Napi::Value par = o.Get("parity");
  if (par.IsTypedArray()) {
    auto arr = par.As<Napi::Uint32Array>();
    job.parity.assign(arr.Data(), arr.Data() + arr.ElementLength());
    job.allSymbols = false;  // parity only, unless sources were named too
  }
  Status s = engine_->check(job);
  if (!s.ok()) throw statusError(env, s);
  job.urgent = attrBool(o, "urgent");
  engine_->submit(std::move(job));
  return env.Undefined();
}

// sendControl(buffer): one datagram right away, outside the paced queue.
Napi::Value Sender::SendControl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "sender is closed");
  if (info.Length() < 1 || !info[0].IsBuffer()) throw Napi::TypeError::New(env, "sendControl(buffer)");
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  return Napi::Number::New(env, engine_->sendControl(buf.Data(), buf.Length()));
}

Napi::Value Sender::SetRate(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setRate(bytesPerSecond)");
  double r = info[0].As<Napi::Number>().DoubleValue();
  engine_->setRate(r > 0 ? static_cast<uint64_t>(r) : 0);
  return info.Env().Undefined();
}

Napi::Value Sender::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TxStats t = engine_->stats();
  Napi::Object s = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { s.Set(k, Napi::Number::New(env, v)); };
  num("packets", double(t.packets));
  num("bytes", double(t.bytes));
  num("batches", double(t.batches));
  num("gsoBatches", double(t.gsoBatches));
  num("sleeps", double(t.sleeps));
  num("softErrors", double(t.softErrors));
  num("queueFullWaits", double(t.queueFullWaits));
  num("localDrops", double(t.localDrops));
  num("idleSeconds", t.idleSeconds);
  num("forfeitSeconds", t.forfeitSeconds);
  num("gsoDisabledErrno", t.gsoDisabledErrno);
  num("socketBuffer", t.socketBuffer);
  num("queuedJobs", double(t.queuedJobs));
  return s;
}

Napi::Value Sender::Close(const Napi::CallbackInfo& info) {
  stop();
  return info.Env().Undefined();
}

void callJobsDone(Napi::Env env, Napi::Function cb, void*, std::vector<JobDone>* done) {
  std::unique_ptr<std::vector<JobDone>> owned(done);
  if (env == nullptr || cb == nullptr) return;  // queue drained at shutdown
  Napi::Array arr = Napi::Array::New(env, owned->size());
  for (size_t i = 0; i < owned->size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::Number::New(env, (*owned)[i].id));
    o.Set("errno", Napi::Number::New(env, (*owned)[i].err));
    arr.Set(uint32_t(i), o);
  }
  cb.Call({arr});
}

}  // namespace blockcast
