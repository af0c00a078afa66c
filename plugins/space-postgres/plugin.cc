// space-postgres, the plugin: its descriptor, its config schema, and the
// loader of its PostgreSQL client library (postgres_client.h says why the
// two are apart). The space itself is postgres_space.cc, in the client.
#include <dlfcn.h>

#include <filesystem>
#include <memory>
#include <string>

#include "gibkit/plugin.h"
#include "postgres_client.h"

namespace {

using gibkit::Result;
namespace pg = gibkit::postgres_space;

// This plugin file's path: the client is found beside it, wherever the
// plugin directory is (a build tree, /usr/lib/gibkit/plugins, a test's copy).
Result<std::filesystem::path> plugin_file() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<const void*>(&plugin_file), &info) == 0 || info.dli_fname == nullptr) {
    return gibkit::internal_error("space-postgres: cannot tell which file the plugin was loaded from");
  }
  return std::filesystem::path(info.dli_fname);
}

Result<pg::OpenSpaceFn> load_client() {
  GIBKIT_ASSIGN_OR_RETURN(std::filesystem::path plugin, plugin_file());
  const std::filesystem::path client = plugin.parent_path() / pg::kClientLibrary;
  // The flags the kernel loads plugins with, for the same reasons: every
  // symbol resolved now (a missing one is an error here, not a crash in the
  // middle of a sync), and never unmapped (libpq may leave threads and
  // handlers behind).
  void* handle = ::dlopen(client.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return gibkit::unavailable("space-postgres: cannot load its PostgreSQL client library " + client.string() +
                               ": " + (why != nullptr ? why : "unknown error") +
                               " (install libpqxx, Debian: libpqxx-6.4, and the file itself)");
  }
  const auto* open = static_cast<const pg::OpenSpaceFn*>(::dlsym(handle, pg::kOpenSpaceSymbol));
  if (open == nullptr || *open == nullptr) {
    return gibkit::incompatible("space-postgres: " + client.string() + " exports no " +
                                std::string(pg::kOpenSpaceSymbol) + "; it is not this plugin's client library");
  }
  return *open;
}

gibkit::PluginSpec<gibkit::Space> postgres_space_plugin() {
  return {
      .name = "space-postgres",
      .version = std::string(pg::kPluginVersion),
      .description = "Durable records and heads in a PostgreSQL database (one transaction per batch, "
                     "compare-and-swap heads across processes), and sagas' staging shared by the nodes of a schema",
      .config =
          {
              {.key = "connection", .type = gibkit::ConfigType::kString, .default_value = gibkit::json::Value(""),
               .description = "libpq connection string (key=value or postgresql:// URI); what it leaves out comes "
                              "from PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD... and libpq's defaults, as "
                              "for psql",
               .persists_state = true},
              {.key = "schema", .type = gibkit::ConfigType::kString,
               .default_value = gibkit::json::Value(std::string(pg::kDefaultSchema)),
               .description = "PostgreSQL schema holding the space's tables (created and migrated by the plugin); "
                              "one space per schema"},
              {.key = "instance", .type = gibkit::ConfigType::kString, .default_value = gibkit::json::Value(""),
               .description = "name of this node among several sharing the schema (a-z0-9_-); its domain "
                              "identity and what peers hold of it are kept per instance. Empty: the only node"},
              {.key = "pool_size", .type = gibkit::ConfigType::kInteger,
               .default_value = gibkit::json::Value(pg::kDefaultPoolSize),
               .description = "most connections open at once; calls beyond wait for a free one", .min = 1,
               .max = 256},
              {.key = "statement_timeout_ms", .type = gibkit::ConfigType::kInteger,
               .default_value = gibkit::json::Value(pg::kDefaultStatementTimeoutMs),
               .description = "PostgreSQL statement_timeout per statement (0: none); exceeding it is "
                              "deadline_exceeded",
               .min = 0, .max = 2147483647},
              {.key = "fetch_size", .type = gibkit::ConfigType::kInteger,
               .default_value = gibkit::json::Value(pg::kDefaultFetchSize),
               .description = "rows per FETCH when iterating (memory held per iteration)", .min = 1,
               .max = 1000000},
              {.key = "sslmode", .type = gibkit::ConfigType::kString,
               .description = "libpq sslmode; absent: the connection string's, PGSSLMODE, or prefer",
               .one_of = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}},
              {.key = "password_file", .type = gibkit::ConfigType::kPath,
               .description = "file whose first line is the password (never logged); absent: the connection "
                              "string, PGPASSWORD or ~/.pgpass",
               .must_exist = true},
          },
      .create = [](const gibkit::json::Object& config) -> Result<std::unique_ptr<gibkit::Space>> {
        // Loaded once, by the first space created (thread-safe static init);
        // a failure is kept, as the files do not change under a running node.
        static const Result<pg::OpenSpaceFn> client = load_client();
        if (!client.ok()) return client.status();
        return (*client)(config);
      },
  };
}

}  // namespace

GIBKIT_PLUGIN(postgres_space_plugin)
