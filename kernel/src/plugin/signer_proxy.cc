// gibkit::Signer over a plugin's gibkit_signer_vtable.
#include <cstddef>
#include <string>
#include <vector>

#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/plugin/abi_support.h"
#include "host_proxies.h"

namespace gibkit::kernel {
namespace {

class SignerProxy final : public Signer {
 public:
  SignerProxy(gibkit_signer signer, std::shared_ptr<const void> library, std::vector<std::string> frame_ibs)
      : signer_(signer), library_(std::move(library)), frame_ibs_(std::move(frame_ibs)) {}
  ~SignerProxy() override { signer_.vtable->destroy(signer_.self); }
  SignerProxy(const SignerProxy&) = delete;
  SignerProxy& operator=(const SignerProxy&) = delete;

  Result<IdentityFrames> create_identity(const json::Value& options) override {
    // "lifetime" came with forget (SDK 1.5); an earlier signer would refuse
    // the key it does not know, and keeps everything anyway.
    std::string options_json;
    if (!has_forget() && options.is_object() && options.as_object().contains("lifetime")) {
      json::Object known = options.as_object();
      known.erase("lifetime");
      options_json = json::stringify(json::Value(std::move(known)));
    } else {
      options_json = json::stringify(options);
    }
    return frames([&](gibkit_sink records, gibkit_sink latest, gibkit_sink error) {
      return signer_.vtable->create_identity(signer_.self, abi::to_str(options_json), records, latest, error);
    });
  }

  Result<IdentityFrames> sign(std::string_view latest_frame_json, const Claim& claim) override {
    gibkit_claim c = to_claim(claim);
    return frames([&](gibkit_sink records, gibkit_sink latest, gibkit_sink error) {
      return signer_.vtable->sign(signer_.self, abi::to_str(latest_frame_json), &c, records, latest, error);
    });
  }

  Result<IdentityFrames> revoke(std::string_view latest_frame_json, std::string_view reason) override {
    return frames([&](gibkit_sink records, gibkit_sink latest, gibkit_sink error) {
      return signer_.vtable->revoke(signer_.self, abi::to_str(latest_frame_json), abi::to_str(reason), records,
                                    latest, error);
    });
  }

  // A signer built before SDK 1.5 has no forget: it keeps what it kept.
  Status forget(std::string_view identity_tjp) override {
    if (!has_forget()) return {};
    std::string error;
    int code = signer_.vtable->forget(signer_.self, abi::to_str(identity_tjp), abi::string_sink(&error));
    return abi::to_status(code, std::move(error));
  }

  [[nodiscard]] const std::vector<std::string>& frame_ibs() const noexcept { return frame_ibs_; }

  Status verify(std::string_view prev_frame_json, std::string_view next_frame_json, const Claim& expected) override {
    gibkit_claim c = to_claim(expected);
    std::string error;
    int code = signer_.vtable->verify(signer_.self, abi::to_str(prev_frame_json), abi::to_str(next_frame_json), &c,
                                      abi::string_sink(&error));
    return abi::to_status(code, std::move(error));
  }

 private:
  // Whether the table has forget (SDK 1.5 and later, and not NULL).
  [[nodiscard]] bool has_forget() const noexcept {
    const gibkit_signer_vtable* table = signer_.vtable;
    return table->struct_size >= offsetof(gibkit_signer_vtable, forget) + sizeof(table->forget) &&
           table->forget != nullptr;
  }

  static gibkit_claim to_claim(const Claim& claim) { return {abi::to_str(claim.verb), abi::to_str(claim.target)}; }

  template <typename Call>
  static Result<IdentityFrames> frames(Call&& call) {
    IdentityFrames out;
    std::string error;
    int code = call(abi::list_sink(&out.records_json), abi::string_sink(&out.latest_address), abi::string_sink(&error));
    if (code != 0) return abi::to_status(code, std::move(error));
    return out;
  }

  gibkit_signer signer_;
  std::shared_ptr<const void> library_;
  std::vector<std::string> frame_ibs_;
};

}  // namespace

std::unique_ptr<Signer> make_signer_proxy(gibkit_signer signer, std::shared_ptr<const void> library,
                                          std::vector<std::string> frame_ibs) {
  return std::make_unique<SignerProxy>(signer, std::move(library), std::move(frame_ibs));
}

const std::vector<std::string>& signer_frame_ibs(const Signer& signer) noexcept {
  // The gibkit::Signer interface (the SDK's, shared with plugins) knows
  // nothing of the ABI; only the kernel's proxy carries the declaration.
  static const std::vector<std::string> kNone;
  const auto* proxy = dynamic_cast<const SignerProxy*>(&signer);
  return proxy != nullptr ? proxy->frame_ibs() : kNone;
}

}  // namespace gibkit::kernel
