// File: signer_support/secret_store.h
//
// Where a signer keeps the master secret of each identity it controls.
//
// Secrets never leave the store except to the signer that owns it: they are
// never written into a frame, a log line or a Status message. Two modes:
//  * in memory (no directory configured): secrets die with the process;
//  * a directory: one file per identity, named after the identity's genesis
//    gib, created with mode 0600 (open O_CREAT|O_EXCL, write, fsync, rename,
//    fsync of the directory), so a crash leaves either no file or a whole
//    one. A file readable or writable by group/others is refused, as OpenSSH
//    refuses a private key with loose permissions.
//
// Methods are thread safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <botan/secmem.h>

#include "gibkit/status.h"

namespace gibkit::signer_support {

using Secret = Botan::secure_vector<std::uint8_t>;

class SecretStore {
 public:
  // In-memory store.
  SecretStore();
  // Directory store; the directory is created (mode 0700) if missing.
  [[nodiscard]] static Result<std::unique_ptr<SecretStore>> open_directory(const std::filesystem::path& dir);

  // Stores the secret of a new identity. kAlreadyExists if one is stored.
  [[nodiscard]] Status put(std::string_view identity, const Secret& secret);
  // kNotFound when this store holds no secret for the identity; kPermissionDenied
  // when the file's permissions are broader than 0600; kDataLoss when corrupt.
  [[nodiscard]] Result<Secret> get(std::string_view identity) const;

 private:
  explicit SecretStore(std::filesystem::path dir);
  [[nodiscard]] Result<std::filesystem::path> file_for(std::string_view identity) const;

  std::optional<std::filesystem::path> dir_;
  mutable std::mutex mutex_;
  std::map<std::string, Secret, std::less<>> memory_;
};

}  // namespace gibkit::signer_support
