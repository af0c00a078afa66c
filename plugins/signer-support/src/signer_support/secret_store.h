// File: signer_support/secret_store.h
//
// Where a signer keeps, for each identity it controls, the master secret and
// the address of the latest frame it made (its "own head").
//
// Secrets never leave the store except to the signer that owns it: they are
// never written into a frame, a log line or a Status message. Two modes:
//  * in memory (no directory configured): secrets and heads die with the
//    process;
//  * a directory: per identity, named after the identity's genesis gib, a
//    `.secret` file and a `.head` file, each written to a temporary file of
//    mode 0600 (open O_CREAT|O_EXCL, write, fsync), then put in place and the
//    directory fsynced, so a crash leaves either the old file or the whole
//    new one. A secret is link()ed in place (it is written once and never
//    replaced); a head is rename()d over the previous one. A file readable or
//    writable by group/others is refused, as OpenSSH refuses a private key
//    with loose permissions: the head is not secret, but whoever can rewrite
//    it can make the signer evolve a frame of their choosing.
//    The `.head` file holds the address on its first line and, since issue
//    #10, the frame's JSON text on the second (the first line alone is the
//    older format, still read).
//
// An identity put with Lifetime::kProcess (a session the kernel created with
// {"lifetime": "saga"}: it signs the turns of one saga, and no saga outlives
// the process) is held in memory even when the store has a directory:
// writing it would cost file writes and fsyncs at every turn, and leave two
// files a saga behind. forget() drops it. Whether a head goes to memory or
// to a file follows where the identity's secret is, so the caller must not
// forget an identity while it signs with it (the shipped signers hold one
// lock across both).
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

// How long an identity's secret and head are kept (see above).
enum class Lifetime {
  kStored,   // in the directory, if the store has one; else in memory
  kProcess,  // in memory, until forget() or the end of the process
};

class SecretStore {
 public:
  // In-memory store.
  SecretStore();
  // Directory store; the directory is created (mode 0700) if missing.
  [[nodiscard]] static Result<std::unique_ptr<SecretStore>> open_directory(const std::filesystem::path& dir);

  // Stores the secret of a new identity. kAlreadyExists if one is stored.
  [[nodiscard]] Status put(std::string_view identity, const Secret& secret, Lifetime lifetime = Lifetime::kStored);
  // Drops the secret and head of an identity held in memory (its secret is
  // wiped: Secret is Botan's secure_vector). An identity in the directory is
  // left there: only a kProcess identity, or any identity of an in-memory
  // store, is ever forgotten. OK when the identity is not held.
  [[nodiscard]] Status forget(std::string_view identity);
  // kNotFound when this store holds no secret for the identity; kPermissionDenied
  // when the file's permissions are broader than 0600; kDataLoss when corrupt.
  [[nodiscard]] Result<Secret> get(std::string_view identity) const;

  // Records `address` as the latest frame the signer made for the identity,
  // replacing the previous record. kInvalidArgument unless it is an address.
  // `frame_json`, when given, is that frame's whole JSON text (one line),
  // kept with the address so that the signer can hand the frame out again
  // if the caller lost it before storing it (own_frames.h, "catch-up").
  [[nodiscard]] Status put_head(std::string_view identity, std::string_view address,
                                std::string_view frame_json = {});
  // The recorded address; kNotFound when none is recorded, and otherwise the
  // errors of get().
  [[nodiscard]] Result<std::string> get_head(std::string_view identity) const;
  // The recorded frame's JSON text; kNotFound when no head or only its
  // address is recorded (a record written before frames were kept).
  [[nodiscard]] Result<std::string> get_head_frame(std::string_view identity) const;

 private:
  explicit SecretStore(std::filesystem::path dir);
  [[nodiscard]] Result<std::filesystem::path> file_for(std::string_view identity, std::string_view suffix) const;

  std::optional<std::filesystem::path> dir_;
  mutable std::mutex mutex_;
  std::map<std::string, Secret, std::less<>> memory_;
  struct HeadRecord {
    std::string address;
    std::string frame_json;  // empty: not recorded
  };
  [[nodiscard]] Result<HeadRecord> read_head(std::string_view identity) const;

  std::map<std::string, HeadRecord, std::less<>> memory_heads_;
};

}  // namespace gibkit::signer_support
