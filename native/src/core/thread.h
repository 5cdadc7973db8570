// The engines' threads carry a name, so top -H and /proc tell them apart.
#pragma once

#include <pthread.h>

#include <thread>
#include <utility>

namespace blockcast {

template <class F>
std::thread namedThread(const char* name, F fn) {
  return std::thread([name, fn = std::move(fn)]() mutable {
    pthread_setname_np(pthread_self(), name);
    fn();
  });
}

}  // namespace blockcast
