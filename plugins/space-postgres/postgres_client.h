// File: space-postgres/postgres_client.h
//
// The boundary between the space-postgres plugin and its PostgreSQL client
// library.
//
// The plugin a kernel loads (libgibkit-space-postgres.so, plugin.cc) holds
// the descriptor, the config schema and this loader, and links nothing
// beyond the C++ runtime. Everything that speaks to PostgreSQL -- the Space,
// the sagas' staging, libpqxx and libpq -- lives in the client library
// (space-postgres/libgibkit-space-postgres-client.so, beside the plugin),
// which the plugin opens the first time a space is created. Why:
//  * a kernel loads every plugin of its plugin directories to learn their
//    names; libpq brings about twenty libraries (TLS, Kerberos, LDAP) whose
//    mapping and relocation cost ~6 ms at every start of `gib` and gibd
//    (docs/performance.md, round 7), paid by nodes that never use PostgreSQL;
//  * a node that does not use PostgreSQL starts where libpq is not
//    installed; a deployment that names space-postgres there gets an error
//    naming the library that did not load.
//
// Both files are built from this source tree by the same compiler, and are
// installed together; the client is never loaded by anything else, so the
// factory below may pass C++ types.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "gibkit/json.h"
#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit::postgres_space {

// The plugin's version, reported by its descriptor and in schema errors.
inline constexpr std::string_view kPluginVersion = "1.1.0";  // 1.1: sagas' staging (SDK 1.4)

// Defaults, declared in the schema and used by the client when a key is
// absent: the kernel fills them in from YAML, but a direct create() (tests,
// embedders) may leave keys out.
inline constexpr std::string_view kDefaultSchema = "gibkit";
inline constexpr std::int64_t kDefaultPoolSize = 4;
inline constexpr std::int64_t kDefaultStatementTimeoutMs = 30000;
inline constexpr std::int64_t kDefaultFetchSize = 1000;

// Where the client library is, relative to the directory of the plugin.
inline constexpr std::string_view kClientLibrary = "space-postgres/libgibkit-space-postgres-client.so";

// The client's one export: a constant of this type under this name, pointing
// to the function that checks the config and opens the space.
using OpenSpaceFn = Result<std::unique_ptr<Space>> (*)(const json::Object& config);
inline constexpr const char* kOpenSpaceSymbol = "gibkit_space_postgres_open";

}  // namespace gibkit::postgres_space
