// space-postgres: a durable Space in a PostgreSQL database (libpqxx).
//
// Layout, in one PostgreSQL schema per space (config `schema`):
//   records(address text PRIMARY KEY, body bytea)  -- the record's exact bytes
//   heads(timeline text PRIMARY KEY, head text)
//   schema_migrations(version, ...)                -- which layout this is
//   staged_sagas, staged_records                   -- sagas' staging (version 2,
//                                                     postgres_saga_staging.h)
// Each write() is one transaction: puts (INSERT ... ON CONFLICT DO NOTHING,
// so the first bytes stay), then erases, then head updates, committed
// together; a compare-and-swap is a conditional UPDATE (or an INSERT ... ON
// CONFLICT DO NOTHING for "no head yet") whose zero affected rows roll the
// whole transaction back. Under READ COMMITTED a conditional UPDATE that
// waited for a concurrent writer re-reads the row it waited for before
// testing the condition, so the compare-and-swap holds across processes
// (several gibd on one database), not only across threads.
//
// Connections come from a small pool (config `pool_size`); a call that loses
// its connection returns kUnavailable and drops every idle connection of the
// same age (a lost connection usually means the server restarted or failed
// over), so the next call connects afresh. libpqxx's own silent
// reconnection is off: it would lose the session settings and hide the loss.
//
// Several gibd may share one schema (docs/scale-out.md). The records and
// data heads are the shared store; a few head keys describe one gibd
// instead (its domain identity, which of that identity's frames each peer
// holds). With config `instance` set, those keys are stored as
// "^instance <name> <key>", so each gibd reads and writes its own.
//
// The password (from the connection string, `password_file` or libpq's
// PGPASSWORD/.pgpass) is never put in a message: messages name the server by
// host, port, database, user and schema only, and any text that came from
// libpq or the server is scrubbed of the configured password as well.
#include <libpq-fe.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "bulk_insert.h"
#include "postgres_client.h"
#include "postgres_saga_staging.h"

namespace {

using gibkit::Result;
using gibkit::Status;

using gibkit::postgres_space::kDefaultFetchSize;
using gibkit::postgres_space::kDefaultPoolSize;
using gibkit::postgres_space::kDefaultSchema;
using gibkit::postgres_space::kDefaultStatementTimeoutMs;
using gibkit::postgres_space::kPluginVersion;

// The schema layouts this plugin knows, oldest first. A database at a newer
// version than the last one here was written by a newer plugin and is
// refused (kIncompatible) rather than guessed at.
struct Migration {
  int version;
  std::string_view description;
  // SQL with every "{s}" replaced by the quoted schema name.
  std::string_view sql;
};
constexpr Migration kMigrations[] = {
    {1, "records and heads",
     // text COLLATE "C": addresses compare bytewise, independent of the
     // database's locale (index order and equality never change under a
     // locale upgrade). bytea for the record: the exact bytes written come
     // back, with no client_encoding conversion on the way.
     "CREATE TABLE {s}.records (address text COLLATE \"C\" PRIMARY KEY, body bytea NOT NULL);"
     "CREATE TABLE {s}.heads (timeline text COLLATE \"C\" PRIMARY KEY, head text COLLATE \"C\" NOT NULL);"},
    {2, "sagas' staging",
     // Shared by every gibd of the schema (no `instance`): a saga staged on
     // one is adopted or reclaimed by another. One row a saga, the lock two
     // adopters race for; its records cascade with it (drop, adopt and
     // reclaim delete the saga row only), and the primary key (saga_id,
     // address) is the index the cascade and a saga's scan use. body as in
     // records (bytea: the exact bytes). The expiry index serves reclaim's
     // "oldest expired first" without reading every saga.
     // UNLOGGED: staging is not the record of anything -- a server crash or
     // a failover empties it, and a sender whose broken saga is gone simply
     // sends again (docs/protocol.md, "Resume across nodes"). Without WAL a
     // staged record costs the server about half as much (docs/performance.md,
     // "Shared staging").
     "CREATE UNLOGGED TABLE {s}.staged_sagas (saga_id text COLLATE \"C\" PRIMARY KEY, "
     "owner text COLLATE \"C\" NOT NULL, expires_at_ms bigint NOT NULL);"
     "CREATE INDEX staged_sagas_expiry ON {s}.staged_sagas (expires_at_ms);"
     "CREATE UNLOGGED TABLE {s}.staged_records (saga_id text COLLATE \"C\" NOT NULL REFERENCES {s}.staged_sagas (saga_id) "
     "ON DELETE CASCADE, address text COLLATE \"C\" NOT NULL, body bytea NOT NULL, PRIMARY KEY (saga_id, address));"},
};
constexpr int kSchemaVersion = kMigrations[std::size(kMigrations) - 1].version;

using gibkit::postgres_space::kRowsPerStatement;  // bulk_insert.h

// Least statement_timeout while migrating (see migrate()).
constexpr std::int64_t kMigrationTimeoutMs = 60000;

// First key of pg_advisory_xact_lock(int, int) while migrating ("gibk"); the
// second is the schema name's hash, so spaces in other schemas do not wait.
constexpr int kMigrationLockKey = 0x6769626b;

// libpq's and the server's messages end in a newline and may hold a hint on
// a second, tab-indented line: one line reads better in a log.
std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) return text;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A libpq connection-string value, quoted so that spaces, quotes and
// backslashes survive (libpq's key='value' syntax).
std::string conninfo_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// The parsed connection string (PQconninfoParse): key=value or URI form.
struct ConnInfoOptions {
  PQconninfoOption* options = nullptr;
  ConnInfoOptions() = default;
  ConnInfoOptions(const ConnInfoOptions&) = delete;
  ConnInfoOptions& operator=(const ConnInfoOptions&) = delete;
  ~ConnInfoOptions() {
    if (options != nullptr) PQconninfoFree(options);
  }
  [[nodiscard]] std::string value(std::string_view keyword) const {
    for (const PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
      if (keyword == o->keyword) return o->val != nullptr ? o->val : "";
    }
    return "";
  }
};

// How to reach the database, resolved once at creation.
struct Target {
  std::string conninfo;  // what libpq gets (may hold the password: never shown)
  std::string where;     // "PostgreSQL host=... port=... dbname=... user=..., schema "x"" (no password)
  std::string password;  // scrubbed from every message; empty when libpq finds it itself
};

// Resolves the connection string as psql would: what it names wins, and
// what it leaves out comes from the PG* environment variables and libpq's
// compiled-in defaults (PQconndefaults reads both), so an empty string
// means "the local server, as PGHOST/PGPORT/PGUSER/PGDATABASE say".
Result<Target> resolve_target(const std::string& connection, const std::optional<std::string>& sslmode,
                              const std::optional<std::string>& password_file, const std::string& schema) {
  if (has_nul(connection)) return gibkit::invalid_argument("space-postgres: 'connection' contains a NUL byte");
  ConnInfoOptions parsed;
  char* error = nullptr;
  parsed.options = PQconninfoParse(connection.c_str(), &error);
  if (parsed.options == nullptr) {
    // libpq's reason names the offending keyword or syntax, not values.
    std::string reason = error != nullptr ? trimmed(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    return gibkit::invalid_argument("space-postgres: 'connection' is not a libpq connection string: " + reason);
  }
  ConnInfoOptions defaults;
  defaults.options = PQconndefaults();
  if (defaults.options == nullptr) return gibkit::internal_error("space-postgres: libpq has no default options");

  Target target;
  for (const PQconninfoOption* o = parsed.options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    target.conninfo += std::string(o->keyword) + "=" + conninfo_value(o->val) + " ";
  }
  target.password = parsed.value("password");

  if (sslmode) {
    const std::string named = parsed.value("sslmode");
    if (!named.empty() && named != *sslmode) {
      return gibkit::invalid_argument("space-postgres: 'sslmode' is " + *sslmode +
                                      " but 'connection' says sslmode=" + named + "; keep one");
    }
    if (named.empty()) target.conninfo += "sslmode=" + conninfo_value(*sslmode) + " ";
  }
  if (password_file) {
    if (!target.password.empty()) {
      return gibkit::invalid_argument("space-postgres: a password is given both in 'connection' and in "
                                      "'password_file' (" + *password_file + "); keep one");
    }
    std::ifstream in(*password_file, std::ios::binary);
    if (!in) return gibkit::not_found("space-postgres: cannot read 'password_file' " + *password_file);
    // The first line, as secret files are written (Docker and Kubernetes
    // secrets, `echo secret > file`): a trailing newline is not part of it.
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return gibkit::invalid_argument("space-postgres: 'password_file' " + *password_file +
                                                      " is empty (the password is its first line)");
    if (has_nul(line)) return gibkit::invalid_argument("space-postgres: 'password_file' " + *password_file +
                                                       " holds a NUL byte");
    target.password = line;
    target.conninfo += "password=" + conninfo_value(line) + " ";
  }
  // Addresses are UTF-8 text: a client_encoding from the environment
  // (PGCLIENTENCODING) must not convert them on the way.
  if (const std::string named = parsed.value("client_encoding"); !named.empty() && named != "UTF8" &&
                                                                   named != "utf8" && named != "UTF-8") {
    return gibkit::invalid_argument("space-postgres: 'connection' sets client_encoding=" + named +
                                    "; the space needs UTF8");
  }
  target.conninfo += "client_encoding='UTF8' fallback_application_name='gibkit-space-postgres'";

  auto effective = [&](std::string_view keyword, std::string_view when_unset) {
    std::string v = parsed.value(keyword);
    if (v.empty()) v = defaults.value(keyword);
    return v.empty() ? std::string(when_unset) : v;
  };
  target.where = "PostgreSQL host=" + effective("host", "(libpq's default Unix socket directory)");
  if (std::string hostaddr = effective("hostaddr", ""); !hostaddr.empty()) target.where += " hostaddr=" + hostaddr;
  const std::string user = effective("user", "(the OS user)");
  // libpq's rule: no database named means the one named like the user.
  target.where += " port=" + effective("port", "5432") + " dbname=" + effective("dbname", user) + " user=" + user +
                  ", schema \"" + schema + "\"";
  return target;
}

// Head keys that belong to one node, not to the store several nodes share.
// "gibkit node domain" names the node's domain identity (kernel/saga
// sync_node.cc): each gibd signs with its own, because a one-time-key
// identity evolved by two processes at once would sign twice with one key.
// "^known-by <peer>" is the latest frame of *that* domain the peer holds
// (kernel/identity): another gibd's frame would be meaningless there.
bool is_instance_head(std::string_view key) {
  return key == "gibkit node domain" || key.starts_with("^known-by ");
}
constexpr std::string_view kInstancePrefix = "^instance ";

// Instance names end up in head keys: plain, short, no spaces.
Status check_instance_name(const std::string& instance) {
  const bool plain = instance.size() <= 63 && std::all_of(instance.begin(), instance.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
                     });
  if (!plain) {
    return gibkit::invalid_argument("space-postgres: 'instance' '" + instance +
                                    "' must be at most 63 of a-z, 0-9, _ and -");
  }
  return Status();
}

// Schema names are spliced into SQL (quoted), so only plain identifiers.
Status check_schema_name(const std::string& schema) {
  const bool plain = !schema.empty() && schema.size() <= 63 && !(schema[0] >= '0' && schema[0] <= '9') &&
                     std::all_of(schema.begin(), schema.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                     });
  if (!plain) {
    return gibkit::invalid_argument("space-postgres: 'schema' '" + schema +
                                    "' must be 1 to 63 of a-z, 0-9 and _, not starting with a digit");
  }
  if (schema.starts_with("pg_")) {
    return gibkit::invalid_argument("space-postgres: 'schema' '" + schema + "': names starting pg_ are reserved");
  }
  return Status();
}

struct Settings {
  std::string schema;
  std::string instance;  // empty: the only node on this schema
  std::size_t pool_size = 1;
  std::int64_t statement_timeout_ms = 0;
  std::size_t fetch_size = 1;
};

class PostgresSpace final : public gibkit::Space {
 public:
  static Result<std::unique_ptr<gibkit::Space>> open(Target target, Settings settings) {
    std::unique_ptr<PostgresSpace> space(new PostgresSpace(std::move(target), std::move(settings)));
    // Connect now (an unreachable database fails the node's start-up, not
    // its first sync) and bring the schema to this plugin's version.
    GIBKIT_RETURN_IF_ERROR(space->run("migrating the schema", [&](pqxx::connection& c) { return space->migrate(c); }));
    return std::unique_ptr<gibkit::Space>(std::move(space));
  }

  Status write(const gibkit::WriteBatch& batch) override {
    GIBKIT_RETURN_IF_ERROR(gibkit::check_write_batch(batch));
    // libpq passes text parameters as C strings: a NUL would cut the value.
    for (const gibkit::StoredRecord& r : batch.puts) {
      if (has_nul(r.address)) return gibkit::invalid_argument("space-postgres: an address contains a NUL byte");
    }
    for (const gibkit::HeadUpdate& h : batch.heads) {
      if (has_nul(h.timeline) || has_nul(h.head) || (h.expected_head && has_nul(*h.expected_head))) {
        return gibkit::invalid_argument("space-postgres: a head update of " + h.timeline + " contains a NUL byte");
      }
    }
    for (const std::string& e : batch.erases) {
      if (has_nul(e)) return gibkit::invalid_argument("space-postgres: an erased address contains a NUL byte");
    }
    if (batch.empty()) return Status();
    const std::string what = "write of a batch of " + std::to_string(batch.puts.size()) + " records";
    return run(what, [&](pqxx::connection& c) -> Status {
      pqxx::work tx(c);
      insert_records(tx, batch.puts);
      erase_records(tx, batch.erases);
      // Heads last: they are the rows every sender to a timeline contends
      // for, so they stay locked only for the commit, not the bulk insert.
      for (const gibkit::HeadUpdate& update : batch.heads) {
        const std::string key = stored_head_key(update.timeline);
        if (!update.expected_head) {
          tx.exec_prepared("gibkit_set_head", key, update.head);
          continue;
        }
        const pqxx::result moved =
            update.expected_head->empty()
                ? tx.exec_prepared("gibkit_insert_head", key, update.head)
                : tx.exec_prepared("gibkit_swap_head", key, update.head, *update.expected_head);
        if (moved.affected_rows() == 0) {
          const pqxx::result current = tx.exec_prepared("gibkit_head", key);
          tx.abort();
          return gibkit::aborted("space-postgres: head of " + update.timeline + " is '" +
                                 (current.empty() ? std::string() : current[0][0].as<std::string>()) +
                                 "', expected '" + *update.expected_head + "'; nothing was written");
        }
      }
      tx.commit();
      return Status();
    });
  }

  Result<std::optional<std::string>> get(std::string_view address) override {
    if (has_nul(address)) return std::optional<std::string>();  // cannot be stored
    std::optional<std::string> out;
    GIBKIT_RETURN_IF_ERROR(run("read of " + std::string(address), [&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      const pqxx::result r = tx.exec_prepared("gibkit_get", std::string(address));
      if (!r.empty()) out = pqxx::binarystring(r[0][0]).str();
      return Status();
    }));
    return out;
  }

  Result<bool> has(std::string_view address) override {
    if (has_nul(address)) return false;
    bool found = false;
    GIBKIT_RETURN_IF_ERROR(run("lookup of " + std::string(address), [&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      found = !tx.exec_prepared("gibkit_has", std::string(address)).empty();
      return Status();
    }));
    return found;
  }

  Result<std::optional<std::string>> head(std::string_view timeline) override {
    if (has_nul(timeline)) return std::optional<std::string>();
    std::optional<std::string> out;
    GIBKIT_RETURN_IF_ERROR(run("read of the head of " + std::string(timeline), [&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      const pqxx::result r = tx.exec_prepared("gibkit_head", stored_head_key(timeline));
      if (!r.empty()) out = r[0][0].as<std::string>();
      return Status();
    }));
    return out;
  }

  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    return scan("records", "SELECT address, body FROM " + table("records"), true, visit);
  }

  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    if (settings_.instance.empty()) return scan("heads", "SELECT timeline, head FROM " + table("heads"), false, visit);
    // This instance's own keys under their plain names; other instances'
    // keys, and plain keys of the per-instance kinds, are not this node's.
    const std::string own = std::string(kInstancePrefix) + settings_.instance + " ";
    return scan("heads", "SELECT timeline, head FROM " + table("heads"), false,
                [&](std::string_view key, std::string_view head) {
                  if (key.starts_with(own)) return visit(key.substr(own.size()), head);
                  if (key.starts_with(kInstancePrefix) || is_instance_head(key)) return true;
                  return visit(key, head);
                });
  }

  // Kept apart from the records (staged records are not the space's), and
  // shared by every instance of the schema.
  gibkit::SagaStaging* saga_staging() override { return &staging_; }

 private:
  PostgresSpace(Target target, Settings settings)
      : target_(std::move(target)),
        settings_(std::move(settings)),
        quoted_schema_("\"" + settings_.schema + "\""),
        staging_(quoted_schema_, target_.where, settings_.fetch_size,
                 [this](const std::string& what, const std::function<Status(pqxx::connection&)>& body) {
                   return run(what, body);
                 }) {}

  std::string table(std::string_view name) const { return quoted_schema_ + "." + std::string(name); }

  // Where a head key is stored: per instance for the node's own keys.
  std::string stored_head_key(std::string_view key) const {
    if (settings_.instance.empty() || !is_instance_head(key)) return std::string(key);
    return std::string(kInstancePrefix) + settings_.instance + " " + std::string(key);
  }

  // ---- connections ---------------------------------------------------------

  struct Pooled {
    std::unique_ptr<pqxx::connection> connection;
    std::uint64_t generation = 0;  // pool generation when it was opened
  };

  Result<std::unique_ptr<pqxx::connection>> connect() {
    std::unique_ptr<pqxx::connection> c;
    try {
      c = std::make_unique<pqxx::connection>(target_.conninfo);
    } catch (const std::exception& e) {
      // libpq's message says why (no such socket, refused, authentication
      // failed, too many clients); we say where.
      return gibkit::unavailable(
          scrub("space-postgres: cannot connect to " + target_.where + ": " + trimmed(e.what())));
    }
    try {
      set_up(*c);
    } catch (...) {
      bool ignored = false;
      return from_exception("setting up a new connection", ignored);
    }
    return c;
  }

  // Session settings and prepared statements of a new connection.
  void set_up(pqxx::connection& c) const {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    c.inhibit_reactivation(true);  // the pool reconnects, with the settings below
#pragma GCC diagnostic pop
    pqxx::nontransaction tx(c);
    tx.exec("SET statement_timeout = " + std::to_string(settings_.statement_timeout_ms));
    // write() promises the batch is on stable storage when it returns: a
    // role or database default of synchronous_commit=off would break that.
    if (tx.exec("SELECT current_setting('synchronous_commit')")[0][0].as<std::string>() == "off") {
      tx.exec("SET synchronous_commit = on");
    }
    const std::string records = table("records");
    const std::string heads = table("heads");
    c.prepare("gibkit_get", "SELECT body FROM " + records + " WHERE address = $1");
    c.prepare("gibkit_has", "SELECT 1 FROM " + records + " WHERE address = $1");
    c.prepare("gibkit_head", "SELECT head FROM " + heads + " WHERE timeline = $1");
    c.prepare("gibkit_set_head", "INSERT INTO " + heads +
                                      " (timeline, head) VALUES ($1, $2) ON CONFLICT (timeline) DO UPDATE SET head = "
                                      "EXCLUDED.head");
    c.prepare("gibkit_insert_head",
               "INSERT INTO " + heads + " (timeline, head) VALUES ($1, $2) ON CONFLICT (timeline) DO NOTHING");
    c.prepare("gibkit_swap_head", "UPDATE " + heads + " SET head = $2 WHERE timeline = $1 AND head = $3");
  }

  // Whether an idle connection is still usable, without a round trip: a
  // server that shuts down, restarts or terminates the backend closes its
  // end, and reading what is pending (PQconsumeInput, via get_notifs) sees
  // that. Without this check the first call after a database restart would
  // fail on a dead pooled connection although the server is back. A
  // connection lost silently (a network partition) still passes; its first
  // statement fails and that call returns kUnavailable. Two reads: a server
  // going down sends a FATAL message first, and its end of file comes
  // after it.
  static bool still_open(pqxx::connection& c) noexcept {
    try {
      c.get_notifs();
      c.get_notifs();
      return c.is_open();
    } catch (...) {
      return false;
    }
  }

  Result<Pooled> acquire() {
    std::vector<Pooled> dead;  // closed after the lock is released (declared first)
    std::unique_lock lock(pool_mutex_);
    for (;;) {
      pool_ready_.wait(lock, [&] { return !idle_.empty() || open_ < settings_.pool_size; });
      if (idle_.empty()) break;
      Pooled p = std::move(idle_.back());
      idle_.pop_back();
      if (still_open(*p.connection)) return p;
      --open_;
      dead.push_back(std::move(p));
    }
    ++open_;
    const std::uint64_t generation = generation_;
    lock.unlock();
    // Connecting takes a round trip or a timeout: not under the lock.
    Result<std::unique_ptr<pqxx::connection>> c = connect();
    if (!c.ok()) {
      {
        std::lock_guard relock(pool_mutex_);
        --open_;
      }
      pool_ready_.notify_one();
      return c.status();
    }
    return Pooled{std::move(*c), generation};
  }

  void release(Pooled p, bool broken) {
    std::vector<Pooled> dropped;  // closed outside the lock
    {
      std::lock_guard lock(pool_mutex_);
      if (broken) {
        // The others of its generation most likely went with it (server
        // restart, failover, pg_terminate_backend of the pool).
        ++generation_;
        open_ -= idle_.size();
        dropped = std::move(idle_);
        idle_.clear();
      }
      if (broken || p.generation != generation_ || !p.connection->is_open()) {
        --open_;
        dropped.push_back(std::move(p));
      } else {
        idle_.push_back(std::move(p));
      }
    }
    pool_ready_.notify_all();
  }

  // Runs `body` on a pooled connection and turns whatever it throws into a
  // Status naming `what` and the server.
  template <typename Body>
  Status run(const std::string& what, Body&& body) {
    GIBKIT_ASSIGN_OR_RETURN(Pooled pooled, acquire());
    bool broken = false;
    Status status;
    try {
      status = body(*pooled.connection);
    } catch (...) {
      status = from_exception(what, broken);
    }
    if (!pooled.connection->is_open()) broken = true;
    release(std::move(pooled), broken);
    return status;
  }

  // ---- errors --------------------------------------------------------------

  std::string scrub(std::string message) const {
    return target_.password.empty() ? message : replace_all(std::move(message), target_.password, "<password>");
  }

  std::string describe(const std::string& what, std::string_view error, std::string_view sqlstate = {}) const {
    std::string m = "space-postgres: " + what + " on " + target_.where + ": " + trimmed(error);
    if (!sqlstate.empty()) m += " (SQLSTATE " + std::string(sqlstate) + ")";
    return scrub(std::move(m));
  }

  // Maps the exception being handled. `broken` is set when the connection
  // can no longer be used.
  Status from_exception(const std::string& what, bool& broken) const {
    try {
      throw;
    } catch (const pqxx::in_doubt_error& e) {
      broken = true;
      return gibkit::unavailable(describe(what, std::string("connection lost during COMMIT; the batch may or may not "
                                                            "be stored (records are content addressed, so a retry "
                                                            "is safe): ") + e.what()));
    } catch (const pqxx::broken_connection& e) {
      broken = true;
      return gibkit::unavailable(describe(what, std::string("connection to the server lost (the next call "
                                                            "reconnects): ") + e.what()));
    } catch (const pqxx::statement_completion_unknown& e) {
      broken = true;
      return gibkit::unavailable(describe(what, std::string("outcome unknown: ") + e.what()));
    } catch (const pqxx::transaction_rollback& e) {
      // Serialization failure or deadlock with a concurrent writer: the
      // server rolled back, nothing was written, a retry may succeed.
      return gibkit::aborted(describe(what, e.what()));
    } catch (const pqxx::sql_error& e) {
      return from_sql_error(what, e, broken);
    } catch (const std::exception& e) {
      return gibkit::internal_error(describe(what, e.what()));
    } catch (...) {
      return gibkit::internal_error(describe(what, "unknown exception"));
    }
  }

  Status from_sql_error(const std::string& what, const pqxx::sql_error& e, bool& broken) const {
    const std::string& state = e.sqlstate();
    const std::string_view cls = std::string_view(state).substr(0, std::min<std::size_t>(2, state.size()));
    const std::string message = describe(what, e.what(), state);
    if (state == "57014") {
      // query_canceled: statement_timeout (or an operator's pg_cancel_backend).
      return gibkit::deadline_exceeded(message + "; statement_timeout_ms is " +
                                       std::to_string(settings_.statement_timeout_ms));
    }
    if (state == "55P03") return gibkit::deadline_exceeded(message);  // lock_not_available (lock_timeout)
    if (cls == "08" || state.starts_with("57P")) {
      // Connection exceptions; 57P01-3: the server is shutting down,
      // crashed or not yet accepting connections.
      broken = true;
      return gibkit::unavailable(message);
    }
    // A standby refuses writes; after a failover the pool reaches the new
    // primary on the next connection.
    if (state == "25006") {
      broken = true;
      return gibkit::unavailable(message + "; the server is read-only (a standby?)");
    }
    if (cls == "53" || cls == "54") return gibkit::resource_exhausted(message);  // disk full, memory, limits
    if (cls == "40") return gibkit::aborted(message);
    if (cls == "22") return gibkit::invalid_argument(message);  // e.g. an address that is not valid UTF-8
    if (state == "42501") return gibkit::permission_denied(message);
    if (cls == "42" || cls == "3F") return gibkit::failed_precondition(message + "; was the schema dropped?");
    if (state == "XX001" || state == "XX002") return gibkit::data_loss(message);
    return gibkit::internal_error(message);
  }

  // ---- schema --------------------------------------------------------------

  Status migrate(pqxx::connection& c) {
    pqxx::work tx(c);
    // DDL, and waiting for another gibd's migration, may take longer than
    // the data statements statement_timeout_ms is chosen for; bounded
    // still, so a stuck lock holder fails start-up instead of hanging it.
    tx.exec("SET LOCAL statement_timeout = " +
            std::to_string(std::max<std::int64_t>(settings_.statement_timeout_ms, kMigrationTimeoutMs)));
    // Several gibd starting together must not both create the tables.
    tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kMigrationLockKey, settings_.schema);
    // Check before CREATE: a role allowed to use a schema a DBA made for it
    // may not be allowed to create schemas (IF NOT EXISTS checks that first).
    if (tx.exec_params("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", settings_.schema).empty()) {
      tx.exec("CREATE SCHEMA " + quoted_schema_);
    }
    const std::string migrations = table("schema_migrations");
    if (tx.exec_params("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = "
                       "'schema_migrations'",
                       settings_.schema)
            .empty()) {
      tx.exec("CREATE TABLE " + migrations +
              " (version integer PRIMARY KEY, description text NOT NULL, plugin_version text NOT NULL, "
              "applied_at timestamptz NOT NULL DEFAULT now())");
    }
    const int current = tx.exec("SELECT coalesce(max(version), 0) FROM " + migrations)[0][0].as<int>();
    if (current > kSchemaVersion) {
      tx.abort();
      return gibkit::incompatible("space-postgres " + std::string(kPluginVersion) + ": " + target_.where +
                                  " is at schema version " + std::to_string(current) +
                                  ", newer than the version " + std::to_string(kSchemaVersion) +
                                  " this plugin knows (" + migrations +
                                  "); use the space-postgres that wrote it or a newer one");
    }
    for (const Migration& m : kMigrations) {
      if (m.version <= current) continue;
      tx.exec(replace_all(std::string(m.sql), "{s}", quoted_schema_));
      tx.exec_params("INSERT INTO " + migrations + " (version, description, plugin_version) VALUES ($1, $2, $3)",
                     m.version, std::string(m.description), std::string(kPluginVersion));
    }
    tx.commit();
    return Status();
  }

  // ---- writes --------------------------------------------------------------

  void insert_records(pqxx::work& tx, const std::vector<gibkit::StoredRecord>& puts) {
    gibkit::postgres_space::insert_rows(tx, table("records"), "address", puts);
  }

  void erase_records(pqxx::work& tx, const std::vector<std::string>& erases) {
    for (std::size_t begin = 0; begin < erases.size(); begin += kRowsPerStatement) {
      const std::size_t n = std::min(kRowsPerStatement, erases.size() - begin);
      std::string sql = "DELETE FROM " + table("records") + " WHERE address IN (";
      for (std::size_t i = 0; i < n; ++i) sql += (i == 0 ? "$" : ", $") + std::to_string(i + 1);
      sql += ")";
      tx.exec_params(sql, pqxx::prepare::make_dynamic_params(erases.begin() + static_cast<std::ptrdiff_t>(begin),
                                                             erases.begin() + static_cast<std::ptrdiff_t>(begin + n)));
    }
  }

  // ---- iteration -----------------------------------------------------------

  // A server-side cursor fetched `fetch_size` rows at a time: the store is
  // never held in memory whole, and the cursor reads one snapshot (taken at
  // DECLARE) however long the visitor takes.
  Status scan(const std::string& what, const std::string& query, bool binary_value,
              const std::function<bool(std::string_view, std::string_view)>& visit) {
    return run("scan of " + what, [&](pqxx::connection& c) -> Status {
      pqxx::work tx(c);
      tx.exec("DECLARE gibkit_scan NO SCROLL CURSOR FOR " + query);
      const std::string fetch = "FETCH FORWARD " + std::to_string(settings_.fetch_size) + " FROM gibkit_scan";
      for (bool more = true; more;) {
        const pqxx::result page = tx.exec(fetch);
        if (page.empty()) break;
        for (const pqxx::row& row : page) {
          const std::string_view key(row[0].c_str(), row[0].size());
          bool go_on;
          if (binary_value) {
            const pqxx::binarystring body(row[1]);
            go_on = visit(key, std::string_view(body.get(), body.size()));
          } else {
            go_on = visit(key, std::string_view(row[1].c_str(), row[1].size()));
          }
          if (!go_on) {
            more = false;
            break;
          }
        }
      }
      tx.commit();  // read only: ends the transaction and closes the cursor
      return Status();
    });
  }

  const Target target_;
  const Settings settings_;
  const std::string quoted_schema_;

  std::mutex pool_mutex_;
  std::condition_variable pool_ready_;
  std::vector<Pooled> idle_;
  std::size_t open_ = 0;            // idle plus in use
  std::uint64_t generation_ = 0;    // bumped when a connection is lost

  // Last: it runs its statements through the pool above.
  gibkit::postgres_space::PostgresSagaStaging staging_;
};

Result<std::int64_t> get_integer(const gibkit::json::Object& config, std::string_view key, std::int64_t absent) {
  if (!config.contains(key)) return absent;
  GIBKIT_ASSIGN_OR_RETURN(double value, gibkit::json::get_number(config, key));
  return static_cast<std::int64_t>(value);  // YAML: the kernel checked it is an integer within min/max
}

Result<std::string> get_string(const gibkit::json::Object& config, std::string_view key, std::string_view absent) {
  if (!config.contains(key)) return std::string(absent);
  return gibkit::json::get_string(config, key);
}

Result<std::optional<std::string>> get_optional_string(const gibkit::json::Object& config, std::string_view key) {
  if (!config.contains(key)) return std::optional<std::string>();
  GIBKIT_ASSIGN_OR_RETURN(std::string value, gibkit::json::get_string(config, key));
  return std::optional<std::string>(std::move(value));
}

// The client's one export (postgres_client.h): checks the config the
// plugin's schema describes and opens the space.
Result<std::unique_ptr<gibkit::Space>> open_space(const gibkit::json::Object& config) {
  GIBKIT_ASSIGN_OR_RETURN(std::string connection, get_string(config, "connection", ""));
  Settings settings;
  GIBKIT_ASSIGN_OR_RETURN(settings.schema, get_string(config, "schema", kDefaultSchema));
  GIBKIT_RETURN_IF_ERROR(check_schema_name(settings.schema));
  GIBKIT_ASSIGN_OR_RETURN(settings.instance, get_string(config, "instance", ""));
  GIBKIT_RETURN_IF_ERROR(check_instance_name(settings.instance));
  GIBKIT_ASSIGN_OR_RETURN(std::int64_t pool_size, get_integer(config, "pool_size", kDefaultPoolSize));
  GIBKIT_ASSIGN_OR_RETURN(settings.statement_timeout_ms,
                          get_integer(config, "statement_timeout_ms", kDefaultStatementTimeoutMs));
  GIBKIT_ASSIGN_OR_RETURN(std::int64_t fetch_size, get_integer(config, "fetch_size", kDefaultFetchSize));
  // The kernel enforces min/max on YAML; a direct create() may pass anything.
  if (pool_size < 1 || fetch_size < 1 || settings.statement_timeout_ms < 0) {
    return gibkit::invalid_argument("space-postgres: pool_size and fetch_size must be at least 1, "
                                    "statement_timeout_ms at least 0");
  }
  settings.pool_size = static_cast<std::size_t>(pool_size);
  settings.fetch_size = static_cast<std::size_t>(fetch_size);
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> sslmode, get_optional_string(config, "sslmode"));
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> password_file,
                          get_optional_string(config, "password_file"));
  GIBKIT_ASSIGN_OR_RETURN(Target target, resolve_target(connection, sslmode, password_file, settings.schema));
  return PostgresSpace::open(std::move(target), std::move(settings));
}

}  // namespace

// Default visibility: the one symbol the plugin looks up (the library is
// built with hidden visibility, like every plugin).
extern "C" __attribute__((visibility("default")))
const gibkit::postgres_space::OpenSpaceFn gibkit_space_postgres_open = &open_space;
