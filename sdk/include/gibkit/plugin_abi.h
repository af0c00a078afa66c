/* File: gibkit/plugin_abi.h
 *
 * The binary boundary between the gibkit kernel and a plugin (.so). It is
 * plain C on purpose: a plugin built with another compiler or standard library
 * than the kernel still loads, because no C++ type (std::string, exceptions,
 * vtables, allocators) ever crosses. Plugin authors normally never touch this
 * file; they write a C++ class and use gibkit/plugin.h, whose adapters turn it
 * into these tables. The kernel turns the tables back into C++ objects.
 *
 * Rules that every function in the tables follows:
 *  - Byte strings are {pointer, size}; they are only valid during the call.
 *  - Outputs are written through a host-provided gibkit_sink, so memory never
 *    changes hands: whoever allocates, frees.
 *  - Every call returns a status code (the values of gibkit::StatusCode, 0 is
 *    OK). On failure the message is written to the `error` sink.
 *  - No function lets an exception (or longjmp) escape.
 *  - Records, configuration and saga messages cross as JSON text.
 *
 * Versioning (see docs/plugins.md): a plugin records the SDK version it was
 * built with in the first two fields of its descriptor. The kernel reads only
 * those two fields first and refuses a plugin with another major, or with the
 * same major and a newer minor, before it reads anything else. Within a major
 * the layout only grows: new fields and table entries are appended, and
 * `struct_size` tells the reader which of them exist.
 */
#ifndef GIBKIT_PLUGIN_ABI_H_
#define GIBKIT_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The SDK (and ABI) version this header describes.
 *  1.0  the first ABI
 *  1.1  gibkit_plugin_descriptor.signer_frame_ibs
 *  1.2  gibkit_transport_vtable.listen_admitting (gibkit_admitting_handler)
 *  1.3  host services: gibkit_host, gibkit_plugin_descriptor.attach_host
 *  1.4  sagas staged in a space: gibkit_saga_staging_vtable,
 *       gibkit_space_vtable.saga_staging
 *  1.5  gibkit_signer_vtable.forget (a session's secrets go with its saga) */
#define GIBKIT_SDK_VERSION_MAJOR 1
#define GIBKIT_SDK_VERSION_MINOR 5

/* Name of the one exported entry point, with default visibility
 * (GIBKIT_PLUGIN_EXPORT): either a constant of type gibkit_plugin_entry_fn
 * pointing to the entry function (the form gibkit/plugin.h defines, laid out
 * as the Boost.DLL alias of earlier SDKs, which every kernel loads) or the
 * entry function itself (loaded by kernels since the SDK headers stopped
 * using Boost). The "v1" is the major version: a future major exports
 * another name, so an old kernel does not even find it. */
#define GIBKIT_PLUGIN_ENTRY_NAME "gibkit_plugin_v1"

/* Marks the entry point for export from a plugin built with hidden
 * visibility:
 *   GIBKIT_PLUGIN_EXPORT const gibkit_plugin_descriptor* gibkit_plugin_v1(void) { ... } */
#ifndef GIBKIT_PLUGIN_EXPORT
#if defined(_WIN32)
#define GIBKIT_PLUGIN_EXPORT __declspec(dllexport)
#else
#define GIBKIT_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif
#endif

/* The status codes every call returns: the values of gibkit::StatusCode
 * (gibkit/status.h), for plugins that do not include it. */
enum {
  GIBKIT_STATUS_OK = 0,
  GIBKIT_STATUS_INVALID_ARGUMENT = 1,
  GIBKIT_STATUS_NOT_FOUND = 2,
  GIBKIT_STATUS_ALREADY_EXISTS = 3,
  GIBKIT_STATUS_FAILED_PRECONDITION = 4,
  GIBKIT_STATUS_PERMISSION_DENIED = 5,
  GIBKIT_STATUS_DATA_LOSS = 6,
  GIBKIT_STATUS_UNAVAILABLE = 7,
  GIBKIT_STATUS_ABORTED = 8,
  GIBKIT_STATUS_RESOURCE_EXHAUSTED = 9,
  GIBKIT_STATUS_DEADLINE_EXCEEDED = 10,
  GIBKIT_STATUS_INCOMPATIBLE = 11,
  GIBKIT_STATUS_INTERNAL = 12
};

/* A borrowed byte string; need not be NUL-terminated. */
typedef struct gibkit_str {
  const char* data;
  size_t size;
} gibkit_str;

/* Receives one output item per call (a whole string, not a fragment). Single
 * outputs are written once; list outputs once per element, in order. */
typedef struct gibkit_sink {
  void* ctx;
  void (*write)(void* ctx, const char* data, size_t size);
} gibkit_sink;

/* Visits a pair of strings (address/record or timeline/head). Returns nonzero
 * to continue, zero to stop early. */
typedef struct gibkit_pair_visitor {
  void* ctx;
  int (*visit)(void* ctx, gibkit_str first, gibkit_str second);
} gibkit_pair_visitor;

typedef enum gibkit_plugin_kind {
  GIBKIT_PLUGIN_KIND_SPACE = 1,
  GIBKIT_PLUGIN_KIND_TRANSPORT = 2,
  GIBKIT_PLUGIN_KIND_SIGNER = 3
} gibkit_plugin_kind;

/* ---- Space (gibkit/space.h) ------------------------------------------- */

typedef struct gibkit_record {
  gibkit_str address;
  gibkit_str json_text;
} gibkit_record;

typedef struct gibkit_head_update {
  gibkit_str timeline;
  gibkit_str head;
  int has_expected_head; /* nonzero: compare-and-swap against expected_head */
  gibkit_str expected_head;
} gibkit_head_update;

typedef struct gibkit_write_batch {
  const gibkit_record* puts;
  size_t put_count;
  const gibkit_head_update* heads;
  size_t head_count;
  const gibkit_str* erases;
  size_t erase_count;
} gibkit_write_batch;

/* Since 1.4: the records sagas staged, kept in the space by saga
 * (gibkit/saga_staging.h has the contract). A space that several nodes share
 * offers it so that a saga begun on one node can be adopted (resumed) by
 * another, and the staging of a node that died is reclaimed by the others.
 * Every entry is non-NULL; `self` is the space's own `self`. Times are wall
 * clock ms since the Unix epoch, as the kernel's clock gives them. */
typedef struct gibkit_saga_staging_vtable {
  size_t struct_size;
  /* Adds `records` to saga `saga_id` (creating it, owned by `owner`) and
   * moves its expiry to `expires_at_ms`; zero records only moves it. A
   * record the saga holds already keeps its first bytes. A saga of another
   * owner is kFailedPrecondition, nothing changed. */
  int (*stage)(void* self, gibkit_str saga_id, gibkit_str owner, int64_t expires_at_ms, const gibkit_record* records,
               size_t record_count, gibkit_sink error);
  /* Moves every record of saga `from` to saga `to` (created, owned by
   * `owner`, expiring at `expires_at_ms`) and forgets `from`, atomically,
   * if and only if `from` exists and is owned by `owner`; `*adopted` is set
   * to 1 then, else to 0 with nothing changed. */
  int (*adopt)(void* self, gibkit_str from_saga, gibkit_str to_saga, gibkit_str owner, int64_t expires_at_ms,
               int* adopted, gibkit_sink error);
  /* Visits (address, record text) of every record saga `saga_id` holds, in
   * no order; none for an unknown saga. */
  int (*for_each_staged)(void* self, gibkit_str saga_id, gibkit_pair_visitor visitor, gibkit_sink error);
  /* Forgets saga `saga_id` and its records; an unknown saga is no error. */
  int (*drop)(void* self, gibkit_str saga_id, gibkit_sink error);
  /* Drops every saga, whoever staged it, whose expiry is before `now_ms`;
   * `*dropped` is set to how many. */
  int (*reclaim)(void* self, int64_t now_ms, uint64_t* dropped, gibkit_sink error);
} gibkit_saga_staging_vtable;

typedef struct gibkit_space_vtable {
  size_t struct_size;
  void (*destroy)(void* self);
  int (*write)(void* self, const gibkit_write_batch* batch, gibkit_sink error);
  /* `*found` is set to 0 or 1; when 1, the value is written to `out` once. */
  int (*get)(void* self, gibkit_str address, int* found, gibkit_sink out, gibkit_sink error);
  int (*has)(void* self, gibkit_str address, int* found, gibkit_sink error);
  int (*head)(void* self, gibkit_str timeline, int* found, gibkit_sink out, gibkit_sink error);
  int (*for_each_record)(void* self, gibkit_pair_visitor visitor, gibkit_sink error);
  int (*for_each_head)(void* self, gibkit_pair_visitor visitor, gibkit_sink error);
  /* ---- Since 1.4 ---- */
  /* NULL: this space keeps no sagas' staging. The kernel reads it only when
   * struct_size covers it. */
  const gibkit_saga_staging_vtable* saga_staging;
} gibkit_space_vtable;

/* The size of a space vtable before 1.4 (it ends with for_each_head). */
#define GIBKIT_SPACE_VTABLE_SIZE_1_3 (offsetof(gibkit_space_vtable, saga_staging))

typedef struct gibkit_space {
  void* self;
  const gibkit_space_vtable* vtable;
} gibkit_space;

/* ---- Transport (gibkit/transport.h) ----------------------------------- */

/* The kernel's request handler, handed to a listening transport. The plugin
 * calls `handle` from any thread until it calls `release` exactly once, after
 * which it never touches the handler again (at stop or destroy at the
 * latest). */
typedef struct gibkit_request_handler {
  void* ctx;
  int (*handle)(void* ctx, gibkit_str request, gibkit_sink response, gibkit_sink error);
  void (*release)(void* ctx);
} gibkit_request_handler;

/* Since 1.2: the kernel's verdict on who sent a request (gibkit::Admission
 * in gibkit/transport.h), given with every answer. Until a connection has
 * carried an authenticated request anyone could be behind it, so a transport
 * holds it to tighter limits; this is how it learns that changed. */
typedef enum gibkit_admission {
  GIBKIT_ADMISSION_PENDING = 0,       /* nothing learned */
  GIBKIT_ADMISSION_AUTHENTICATED = 1, /* authenticated as a trusted peer */
  GIBKIT_ADMISSION_REFUSED = 2        /* failed authentication or did not decode */
} gibkit_admission;

/* Since 1.2: gibkit_request_handler that also reports the admission. The
 * same rules; `handle` writes `*admission` (a gibkit_admission) before it
 * returns, on failure too. `struct_size` is the kernel's sizeof, for growth:
 * a plugin uses a field only when struct_size covers it. */
typedef struct gibkit_admitting_handler {
  size_t struct_size;
  void* ctx;
  int (*handle)(void* ctx, gibkit_str request, int* admission, gibkit_sink response, gibkit_sink error);
  void (*release)(void* ctx);
} gibkit_admitting_handler;

typedef struct gibkit_connection_vtable {
  size_t struct_size;
  void (*destroy)(void* self);
  int (*request)(void* self, gibkit_str message, int64_t timeout_ms, gibkit_sink response,
                 gibkit_sink error);
} gibkit_connection_vtable;

typedef struct gibkit_connection {
  void* self;
  const gibkit_connection_vtable* vtable;
} gibkit_connection;

typedef struct gibkit_transport_vtable {
  size_t struct_size;
  void (*destroy)(void* self);
  /* Takes ownership of `handler` whatever the outcome (releases it on error). */
  int (*listen)(void* self, gibkit_request_handler handler, gibkit_sink error);
  void (*stop)(void* self);
  void (*endpoint)(void* self, gibkit_sink out);
  int (*connect)(void* self, gibkit_str peer, gibkit_connection* out, gibkit_sink error);

  /* ---- Since 1.2 ---- */

  /* listen() with a handler that reports admission. The plugin copies
   * *handler during the call (the pointer is not kept) and owns it as
   * listen() owns its handler (releases it on error, at stop or destroy).
   * The kernel calls this instead of listen() when struct_size covers it and
   * it is not NULL; a 1.0/1.1 transport keeps getting listen(). */
  int (*listen_admitting)(void* self, const gibkit_admitting_handler* handler, gibkit_sink error);
} gibkit_transport_vtable;

/* The size of a transport vtable before 1.2 (it ends with connect). */
#define GIBKIT_TRANSPORT_VTABLE_SIZE_1_0 (offsetof(gibkit_transport_vtable, listen_admitting))

typedef struct gibkit_transport {
  void* self;
  const gibkit_transport_vtable* vtable;
} gibkit_transport;

/* ---- Signer (gibkit/signer.h) ----------------------------------------- */

typedef struct gibkit_claim {
  gibkit_str verb;
  gibkit_str target;
} gibkit_claim;

/* Identity operations write each record of the result to `records` (in
 * dependency order) and the new latest address to `latest`, once. */
typedef struct gibkit_signer_vtable {
  size_t struct_size;
  void (*destroy)(void* self);
  int (*create_identity)(void* self, gibkit_str options_json, gibkit_sink records,
                         gibkit_sink latest, gibkit_sink error);
  int (*sign)(void* self, gibkit_str latest_frame_json, const gibkit_claim* claim,
              gibkit_sink records, gibkit_sink latest, gibkit_sink error);
  int (*revoke)(void* self, gibkit_str latest_frame_json, gibkit_str reason, gibkit_sink records,
                gibkit_sink latest, gibkit_sink error);
  int (*verify)(void* self, gibkit_str prev_frame_json, gibkit_str next_frame_json,
                const gibkit_claim* expected, gibkit_sink error);
  /* Since 1.5. The kernel will never again ask this signer to sign or
   * revoke for the identity whose genesis address is `identity_tjp`: the
   * signer drops what it keeps for it (its secret, its latest frame), and a
   * later sign for it fails with NOT_FOUND. The kernel calls it for each
   * session identity once the saga it signed for is over, on both sides.
   * With forget, create_identity's options may carry "lifetime": "saga"
   * (the kernel's sessions: such an identity may be held in memory only);
   * a signer without it never gets that key.
   * Forgetting an identity the signer does not hold succeeds. May be NULL
   * (nothing to forget); the kernel reads it only when struct_size covers
   * it, so a signer built against an earlier minor keeps everything, as
   * before. */
  int (*forget)(void* self, gibkit_str identity_tjp, gibkit_sink error);
} gibkit_signer_vtable;

/* The size of a 1.0 to 1.4 signer table (it ends with verify). */
#define GIBKIT_SIGNER_VTABLE_SIZE_1_4 (offsetof(gibkit_signer_vtable, forget))

typedef struct gibkit_signer {
  void* self;
  const gibkit_signer_vtable* vtable;
} gibkit_signer;

/* ---- Host services (since 1.3) ----------------------------------------- */

/* What the kernel offers a plugin: its structured log, its metrics and its
 * clock. The kernel hands a plugin one gibkit_host through the descriptor's
 * attach_host, once, right after loading it and before creating anything;
 * the table and everything it returns live until the process exits, and
 * every function may be called from any thread. `struct_size` is the
 * kernel's sizeof, for growth: a plugin calls an entry only when
 * struct_size covers it (a later SDK may append entries a kernel lacks). */

/* The values of the node's log levels; a line shows when its level is at or
 * above the node's threshold (error is the most severe). */
typedef enum gibkit_log_level {
  GIBKIT_LOG_ERROR = 0,
  GIBKIT_LOG_WARN = 1,
  GIBKIT_LOG_INFO = 2,
  GIBKIT_LOG_DEBUG = 3
} gibkit_log_level;

/* One key=value pair of a log line. A key should be made of letters,
 * digits, '_', '.' and '-' (anything else becomes '_'); the value is free. */
typedef struct gibkit_log_field {
  gibkit_str key;
  gibkit_str value;
} gibkit_log_field;

/* A counter or histogram the host registered for the plugin; opaque. */
typedef struct gibkit_metric gibkit_metric;

typedef struct gibkit_host {
  size_t struct_size;
  void* ctx; /* passed back as the first argument of every entry */

  /* Log: one logfmt line in the node's log,
   *   ts=... level=info event=<event> plugin=<plugin name> <key>=<value> ...
   * log_enabled says whether a line of `level` would be written, so that a
   * plugin need not format fields for nothing. */
  int (*log_enabled)(void* ctx, int level);
  void (*log)(void* ctx, int level, gibkit_str event, const gibkit_log_field* fields, size_t field_count);

  /* Metrics, in the node's metrics (/metrics on its admin endpoint) as
   * gibkit_plugin_<name>{plugin="<plugin name>"}. `name` matches
   * [a-zA-Z_:][a-zA-Z0-9_:]*; asking again for the same name and kind (and
   * bounds) gives the same metric. On success *out is set and 0 returned;
   * otherwise a status code, with the reason written to `error`.
   * Histogram `bounds` are the buckets' upper bounds, finite and strictly
   * increasing, 1 to 64 of them (a +Inf bucket is implied). */
  int (*counter)(void* ctx, gibkit_str name, gibkit_str help, gibkit_metric** out, gibkit_sink error);
  void (*counter_add)(void* ctx, gibkit_metric* counter, double amount); /* amount >= 0 */
  int (*histogram)(void* ctx, gibkit_str name, gibkit_str help, const double* bounds, size_t bound_count,
                   gibkit_metric** out, gibkit_sink error);
  void (*histogram_observe)(void* ctx, gibkit_metric* histogram, double value);

  /* Clock: wall time in ms since the Unix epoch, and a monotonic ms count
   * (for durations; its zero means nothing). The node's clock, which tests
   * may replace: a plugin that reads time through it can be tested without
   * sleeping. */
  int64_t (*wall_ms)(void* ctx);
  int64_t (*monotonic_ms)(void* ctx);
} gibkit_host;

/* ---- Descriptor -------------------------------------------------------- */

/* What a plugin is and how to make instances of it. `config_json` given to a
 * factory is a JSON object already validated against `config_schema_json`,
 * with defaults filled in. Exactly the factory matching `kind` is non-null.
 * Fields after create_signer were added in later minors: a reader uses one
 * only when `struct_size` covers it, and a plugin built before it was added
 * declares nothing there. */
typedef struct gibkit_plugin_descriptor {
  /* These two fields stay first in every version, forever. */
  uint32_t sdk_version_major;
  uint32_t sdk_version_minor;
  size_t struct_size;
  int kind; /* gibkit_plugin_kind */
  const char* name;        /* unique per kind, e.g. "space-leveldb" */
  const char* version;     /* the plugin's own version, free form */
  const char* description; /* one line */
  /* JSON array of {"key", "type", "required", "default", "description"} and
   * the optional rules "min", "max", "oneOf", "mustExist", "persistsState"
   * (written only when set, so an older schema reads as before); see
   * docs/plugins.md and gibkit/plugin/config_key.h. */
  const char* config_schema_json;
  int (*create_space)(gibkit_str config_json, gibkit_space* out, gibkit_sink error);
  int (*create_transport)(gibkit_str config_json, gibkit_transport* out, gibkit_sink error);
  int (*create_signer)(gibkit_str config_json, gibkit_signer* out, gibkit_sink error);

  /* ---- Since 1.1 ---- */

  /* Signers only (NULL for other kinds): the `ib` of every identity frame
   * this signer verifies, as a NULL-terminated array of NUL-terminated
   * strings with static storage duration, e.g. {"keystone", NULL}. The kernel
   * hands a peer's identity frame to a signer whose list holds the frame's ib
   * exactly, so the plugin, not its name, says what it verifies. NULL (or a
   * 1.0 plugin) declares none. At most GIBKIT_MAX_SIGNER_FRAME_IBS entries,
   * each a valid ib (non-empty, no '^'). */
  const char* const* signer_frame_ibs;

  /* ---- Since 1.3 ---- */

  /* Receives the host's services (gibkit_host above), once, after the
   * kernel accepted the descriptor and before any factory runs; the plugin
   * keeps the pointer (valid until the process exits). NULL: the plugin
   * uses no host service. A kernel before 1.3 never calls it, so a plugin
   * must work without a host (log nothing, count nothing, read the time
   * itself). */
  void (*attach_host)(const gibkit_host* host);
} gibkit_plugin_descriptor;

/* The size of a 1.0 descriptor (it ends with create_signer): the smallest
 * `struct_size` a kernel accepts. */
#define GIBKIT_PLUGIN_DESCRIPTOR_SIZE_1_0 (offsetof(gibkit_plugin_descriptor, signer_frame_ibs))

/* The size of a 1.1 or 1.2 descriptor (it ends with signer_frame_ibs). */
#define GIBKIT_PLUGIN_DESCRIPTOR_SIZE_1_2 (offsetof(gibkit_plugin_descriptor, attach_host))

/* The most entries signer_frame_ibs may hold; the kernel refuses a plugin
 * that declares more (or whose list is not NULL-terminated within them). */
#define GIBKIT_MAX_SIGNER_FRAME_IBS 64

/* The exported entry point. Returns a descriptor with static storage
 * duration; it may be called more than once. */
typedef const gibkit_plugin_descriptor* (*gibkit_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GIBKIT_PLUGIN_ABI_H_ */
