// File: signer_support/guarded.h
//
// Library exceptions (Botan, the standard library) stop at a signer's
// public methods and come back as kInternal Status.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "gibkit/status.h"

namespace gibkit::signer_support {

template <typename F>
auto guarded(std::string_view who, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return internal_error(std::string(who) + ": " + e.what());
  }
}

}  // namespace gibkit::signer_support
