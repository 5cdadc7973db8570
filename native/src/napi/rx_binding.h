// The JS Receiver: converts options and configure() once into plain
// structs, forwards calls to an RxEngine and hands its batches of completed
// chunks and control packets to a JS callback.
#pragma once

#include <napi.h>

#include <memory>

#include "core/rx_engine.h"

namespace blockcast {

class Receiver;
// Runs on the JS thread for every batch the receive thread queues.
void callReceiverBatch(Napi::Env env, Napi::Function cb, Receiver* self, RxBatch* batch);

class Receiver : public Napi::ObjectWrap<Receiver> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Receiver(const Napi::CallbackInfo& info);
  ~Receiver() override;

 private:
  using BatchTsfn = Napi::TypedThreadSafeFunction<Receiver, RxBatch, callReceiverBatch>;

  Napi::Value Configure(const Napi::CallbackInfo& info);
  Napi::Value Expect(const Napi::CallbackInfo& info);
  Napi::Value Missing(const Napi::CallbackInfo& info);
  Napi::Value Reopen(const Napi::CallbackInfo& info);
  Napi::Value Hold(const Napi::CallbackInfo& info);
  Napi::Value Provide(const Napi::CallbackInfo& info);
  Napi::Value SetSealKey(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Sample(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void stop();

  std::unique_ptr<RxEngine> engine_;
  BatchTsfn tsfn_;
  bool closed_ = false;
};

}  // namespace blockcast
