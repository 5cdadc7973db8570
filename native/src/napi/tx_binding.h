// The JS Sender: converts the flat, defaulted options once into TxOptions,
// queues jobs on a TxEngine and calls JS back with finished jobs.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "core/tx_engine.h"

namespace blockcast {

// Runs on the JS thread with the jobs the send thread finished.
void callJobsDone(Napi::Env env, Napi::Function cb, void* context, std::vector<JobDone>* done);

class Sender : public Napi::ObjectWrap<Sender> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Sender(const Napi::CallbackInfo& info);
  ~Sender() override;

 private:
  using DoneTsfn = Napi::TypedThreadSafeFunction<void, std::vector<JobDone>, callJobsDone>;

  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendControl(const Napi::CallbackInfo& info);
  Napi::Value SetRate(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void stop();

  std::unique_ptr<TxEngine> engine_;
  DoneTsfn tsfn_;
  bool closed_ = false;
};

}  // namespace blockcast
