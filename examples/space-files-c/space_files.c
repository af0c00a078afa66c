/* space-files-c: an example space plugin written in C11 against the C ABI
 * alone (gibkit/plugin_abi.h): no C++, no SDK library.
 *
 * A space in one directory (`path`):
 *   records/<name>   one file per record, its JSON text
 *   heads/<name>     one file per timeline, its head address
 *   journal          the batch being applied, present only until it is
 *   LOCK             held (flock) by the one instance using the directory
 * where <name> is the address or timeline, percent-encoded so that it is a
 * safe file name: bytes other than A-Z a-z 0-9 - _ and . (and a leading .)
 * become %XX. A name longer than NAME_MAX once encoded is refused
 * (kInvalidArgument): this example does not split long names.
 *
 * Atomicity: write() checks the batch (empty strings, compare-and-swap on
 * heads, in order) under a mutex without touching the disk; then it writes
 * the whole batch to `journal` (to a temporary file, fsync, rename: the
 * commit point), applies it (each record or head file written to a
 * temporary file, fsynced and renamed over its name, so a file is always
 * either its old or its new content), fsyncs the directories and removes the
 * journal. A crash before the journal's rename leaves nothing of the batch;
 * a crash after it leaves the journal, which the next open applies again
 * before anything is read (every step is idempotent: a put skips a stored
 * address, a head is set to its final value, an erase of a missing record
 * is a no-op). So, seen through the plugin, a batch is applied whole or not
 * at all, even across a crash. Within the process one mutex orders every
 * call; the LOCK file keeps a second process (or instance) out.
 *
 * Host services (SDK 1.3): the kernel attaches its log, metrics and clock
 * when it loads the plugin (attach_host); the space logs when it opens a
 * directory and when it finishes a crashed batch, counts batches and times
 * them with the host's clock. Under a kernel before 1.3 (no host), or built
 * against an SDK before 1.3, it does the same work silently.
 *
 * Everything crosses the ABI as the tables in plugin_abi.h: strings are
 * {pointer, size} borrowed for the call, outputs go through sinks, errors
 * are a status code plus a message written to the error sink.
 */
#define _DEFAULT_SOURCE /* flock, fsync, openat and friends under -std=c11 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gibkit/plugin_abi.h>

/* The values of gibkit::StatusCode (gibkit/status.h) this plugin returns. */
enum {
  STATUS_OK = 0,
  STATUS_INVALID_ARGUMENT = 1,
  STATUS_NOT_FOUND = 2,
  STATUS_DATA_LOSS = 6,
  STATUS_UNAVAILABLE = 7,
  STATUS_ABORTED = 8,
  STATUS_INTERNAL = 12
};

/* The exported entry point: a plain C function with default visibility
 * (the plugin is built with hidden visibility, so it is the only export). */
#define SPACE_FILES_EXPORT __attribute__((visibility("default")))

/* ---- Small helpers ------------------------------------------------------ */

/* Writes a printf-style message to `error` and returns `code`. */
static int fail(gibkit_sink error, int code, const char* format, ...) {
  char message[1024];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(message, sizeof message, format, args);
  va_end(args);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof message) n = (int)sizeof message - 1;
  error.write(error.ctx, message, (size_t)n);
  return code;
}

static int fail_errno(gibkit_sink error, const char* what, const char* path) {
  int e = errno;
  return fail(error, e == ENOENT ? STATUS_NOT_FOUND : STATUS_UNAVAILABLE, "space-files-c: %s %s: %s", what, path,
              strerror(e));
}

/* A growable byte buffer. */
typedef struct buffer {
  char* data;
  size_t size;
  size_t capacity;
} buffer;

static int buffer_append(buffer* b, const void* data, size_t size) {
  if (b->size + size > b->capacity) {
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity < b->size + size) capacity *= 2;
    char* grown = realloc(b->data, capacity);
    if (grown == NULL) return 0;
    b->data = grown;
    b->capacity = capacity;
  }
  if (size) memcpy(b->data + b->size, data, size);
  b->size += size;
  return 1;
}

static char* join(const char* dir, const char* name) {
  size_t a = strlen(dir), n = strlen(name);
  char* out = malloc(a + 1 + n + 1);
  if (out == NULL) return NULL;
  memcpy(out, dir, a);
  out[a] = '/';
  memcpy(out + a + 1, name, n + 1);
  return out;
}

/* ---- File names: a safe, reversible encoding ---------------------------- */

static int is_plain(unsigned char c, size_t position) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         (c == '.' && position > 0);
}

/* Encodes `s` into `out` (NAME_MAX + 1 bytes). Returns 0 when it does not fit. */
static int encode_name(gibkit_str s, char out[NAME_MAX + 1]) {
  static const char kHex[] = "0123456789ABCDEF";
  size_t n = 0;
  for (size_t i = 0; i < s.size; ++i) {
    unsigned char c = (unsigned char)s.data[i];
    if (is_plain(c, i)) {
      if (n + 1 > NAME_MAX) return 0;
      out[n++] = (char)c;
    } else {
      if (n + 3 > NAME_MAX) return 0;
      out[n++] = '%';
      out[n++] = kHex[c >> 4];
      out[n++] = kHex[c & 15];
    }
  }
  out[n] = '\0';
  return n > 0;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes a file name in place; returns its length, or -1 if it is not one of ours. */
static long decode_name(char* name) {
  size_t in = 0, out = 0;
  while (name[in] != '\0') {
    if (name[in] == '%') {
      int hi = hex_value(name[in + 1]);
      int lo = hi < 0 ? -1 : hex_value(name[in + 2]);
      if (lo < 0) return -1;
      name[out++] = (char)(hi * 16 + lo);
      in += 3;
    } else {
      name[out++] = name[in++];
    }
  }
  return (long)out;
}

/* ---- Files ---------------------------------------------------------------- */

/* Reads a whole file. *found is 0 when it does not exist. */
static int read_file(const char* path, buffer* out, int* found, gibkit_sink error) {
  *found = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return STATUS_OK;
    return fail_errno(error, "cannot open", path);
  }
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int code = fail_errno(error, "cannot read", path);
      close(fd);
      return code;
    }
    if (n == 0) break;
    if (!buffer_append(out, chunk, (size_t)n)) {
      close(fd);
      return fail(error, STATUS_INTERNAL, "space-files-c: out of memory reading %s", path);
    }
  }
  close(fd);
  *found = 1;
  return STATUS_OK;
}

static int sync_dir(const char* dir, gibkit_sink error) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(error, "cannot open directory", dir);
  int rc = fsync(fd);
  close(fd);
  return rc == 0 ? STATUS_OK : fail_errno(error, "cannot sync directory", dir);
}

/* Replaces dir/name with `data` atomically: written to dir/.tmp, fsynced,
 * renamed. (Calls are serialized by the space's mutex, so one temporary
 * name per directory is enough; a leading '.' is never an encoded name.) */
static int replace_file(const char* dir, const char* name, const char* data, size_t size, gibkit_sink error) {
  int code = STATUS_OK;
  char* tmp = join(dir, ".tmp");
  char* path = join(dir, name);
  if (tmp == NULL || path == NULL) {
    code = fail(error, STATUS_INTERNAL, "space-files-c: out of memory");
    goto done;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    code = fail_errno(error, "cannot create", tmp);
    goto done;
  }
  size_t written = 0;
  while (written < size) {
    ssize_t n = write(fd, data + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      code = fail_errno(error, "cannot write", tmp);
      close(fd);
      goto done;
    }
    written += (size_t)n;
  }
  if (fsync(fd) != 0) {
    code = fail_errno(error, "cannot sync", tmp);
    close(fd);
    goto done;
  }
  close(fd);
  if (rename(tmp, path) != 0) code = fail_errno(error, "cannot rename into", path);
done:
  free(tmp);
  free(path);
  return code;
}

/* ---- Host services (SDK 1.3) ------------------------------------------- */

/* The same source builds against an SDK before 1.3 (tests/compat builds it
 * against 1.2's headers), as a plugin that knows no host. */
#if GIBKIT_SDK_VERSION_MAJOR == 1 && GIBKIT_SDK_VERSION_MINOR >= 3
#define SPACE_FILES_HOST 1

/* Set once by the kernel, before any create_space; NULL without a host. */
static _Atomic(const gibkit_host*) g_host;

static void attach_host(const gibkit_host* host) { atomic_store(&g_host, host); }

/* The host when its table has `entry` (the kernel's struct_size covers it). */
#define HOST_WITH(entry)                                                                            \
  (atomic_load(&g_host) != NULL &&                                                                   \
           atomic_load(&g_host)->struct_size >= offsetof(gibkit_host, entry) + sizeof(void (*)(void)) \
       ? atomic_load(&g_host)                                                                        \
       : NULL)

static gibkit_str cstr(const char* s) {
  gibkit_str out = {s, strlen(s)};
  return out;
}

/* One line in the node's log: event=<event> plugin=space-files-c path=<path> <key>=<value>. */
static void host_log(int level, const char* event, const char* path, const char* key, const char* value) {
  const gibkit_host* host = HOST_WITH(log);
  if (host == NULL || !host->log_enabled(host->ctx, level)) return;
  gibkit_log_field fields[2] = {{cstr("path"), cstr(path)}, {{NULL, 0}, {NULL, 0}}};
  size_t count = 1;
  if (key != NULL) {
    fields[1].key = cstr(key);
    fields[1].value = cstr(value);
    count = 2;
  }
  host->log(host->ctx, level, cstr(event), fields, count);
}

static void discard(void* ctx, const char* data, size_t size) {
  (void)ctx;
  (void)data;
  (void)size;
}

/* Registers this plugin's metrics (the same ones for every instance). */
static void host_metrics(gibkit_metric** batches, gibkit_metric** seconds) {
  const gibkit_host* host = HOST_WITH(histogram_observe);
  if (host == NULL) return;
  static const double kBounds[] = {0.001, 0.005, 0.025, 0.1, 0.5, 2.5};
  gibkit_sink ignore = {NULL, discard};
  /* A refusal (it cannot happen with these names) leaves the metric NULL. */
  if (host->counter(host->ctx, cstr("space_files_batches_total"), cstr("Batches space-files-c committed"), batches,
                    ignore) != 0) {
    *batches = NULL;
  }
  if (host->histogram(host->ctx, cstr("space_files_batch_seconds"), cstr("Time space-files-c took to commit a batch"),
                      kBounds, sizeof kBounds / sizeof kBounds[0], seconds, ignore) != 0) {
    *seconds = NULL;
  }
}

/* The host's monotonic clock in ms; 0 without one. */
static int64_t host_now_ms(void) {
  const gibkit_host* host = HOST_WITH(monotonic_ms);
  return host == NULL ? 0 : host->monotonic_ms(host->ctx);
}
#endif

/* ---- The space ------------------------------------------------------------ */

typedef struct files_space {
  pthread_mutex_t mutex;
  char* root;
  char* records; /* root/records */
  char* heads;   /* root/heads */
  int lock_fd;   /* root/LOCK, flock'ed */
#ifdef SPACE_FILES_HOST
  gibkit_metric* batches; /* host counter, NULL without a host */
  gibkit_metric* seconds; /* host histogram, NULL without a host */
#endif
} files_space;

static void destroy(void* self) {
  files_space* space = self;
  if (space == NULL) return;
  if (space->lock_fd >= 0) close(space->lock_fd); /* releases the flock */
  pthread_mutex_destroy(&space->mutex);
  free(space->root);
  free(space->records);
  free(space->heads);
  free(space);
}

/* The journal: "gibkitj1", then the puts, heads and erases, each list a
 * count followed by its strings (a size then the bytes; sizes and counts
 * are uint64_t in the machine's byte order), then "end!". */
static const char kJournalMagic[8] = {'g', 'i', 'b', 'k', 'i', 't', 'j', '1'};
static const char kJournalEnd[4] = {'e', 'n', 'd', '!'};

static int put_u64(buffer* b, uint64_t v) { return buffer_append(b, &v, sizeof v); }
static int put_str(buffer* b, gibkit_str s) { return put_u64(b, s.size) && buffer_append(b, s.data, s.size); }

static int encode_journal(const gibkit_write_batch* batch, buffer* b) {
  int ok = buffer_append(b, kJournalMagic, sizeof kJournalMagic) && put_u64(b, batch->put_count);
  for (size_t i = 0; ok && i < batch->put_count; ++i) {
    ok = put_str(b, batch->puts[i].address) && put_str(b, batch->puts[i].json_text);
  }
  ok = ok && put_u64(b, batch->head_count);
  for (size_t i = 0; ok && i < batch->head_count; ++i) {
    ok = put_str(b, batch->heads[i].timeline) && put_str(b, batch->heads[i].head);
  }
  ok = ok && put_u64(b, batch->erase_count);
  for (size_t i = 0; ok && i < batch->erase_count; ++i) ok = put_str(b, batch->erases[i]);
  return ok && buffer_append(b, kJournalEnd, sizeof kJournalEnd);
}

/* A cursor over a journal being decoded; `ok` drops to 0 on a short read. */
typedef struct reader {
  const char* data;
  size_t size;
  size_t at;
  int ok;
} reader;

static uint64_t get_u64(reader* r) {
  uint64_t v = 0;
  if (!r->ok || r->size - r->at < sizeof v) {
    r->ok = 0;
    return 0;
  }
  memcpy(&v, r->data + r->at, sizeof v);
  r->at += sizeof v;
  return v;
}

static gibkit_str get_str(reader* r) {
  gibkit_str s = {NULL, 0};
  uint64_t size = get_u64(r);
  if (!r->ok || r->size - r->at < size) {
    r->ok = 0;
    return s;
  }
  s.data = r->data + r->at;
  s.size = (size_t)size;
  r->at += (size_t)size;
  return s;
}

/* Allocates `count` elements, refusing counts the journal could not hold. */
static void* get_array(reader* r, uint64_t count, size_t element) {
  if (!r->ok || count > r->size / 8) {
    r->ok = 0;
    return NULL;
  }
  return calloc(count ? (size_t)count : 1, element);
}

/* Applies a checked batch to the files (heads unconditionally, in order).
 * Idempotent, so that a journal can be applied again after a crash. */
static int apply(files_space* space, const gibkit_write_batch* batch, gibkit_sink error) {
  char name[NAME_MAX + 1];
  int code = STATUS_OK;
  for (size_t i = 0; i < batch->put_count && code == STATUS_OK; ++i) {
    encode_name(batch->puts[i].address, name);
    char* path = join(space->records, name);
    if (path == NULL) return fail(error, STATUS_INTERNAL, "space-files-c: out of memory");
    struct stat st;
    int stored = stat(path, &st) == 0;
    free(path);
    if (!stored) {  /* the first bytes stay */
      code = replace_file(space->records, name, batch->puts[i].json_text.data, batch->puts[i].json_text.size, error);
    }
  }
  for (size_t i = 0; i < batch->erase_count && code == STATUS_OK; ++i) {
    encode_name(batch->erases[i], name);
    char* path = join(space->records, name);
    if (path == NULL) return fail(error, STATUS_INTERNAL, "space-files-c: out of memory");
    if (unlink(path) != 0 && errno != ENOENT) code = fail_errno(error, "cannot remove", path);
    free(path);
  }
  for (size_t i = 0; i < batch->head_count && code == STATUS_OK; ++i) {
    encode_name(batch->heads[i].timeline, name);
    code = replace_file(space->heads, name, batch->heads[i].head.data, batch->heads[i].head.size, error);
  }
  if (code == STATUS_OK) code = sync_dir(space->records, error);
  if (code == STATUS_OK) code = sync_dir(space->heads, error);
  return code;
}

/* Applies root/journal if a crash left one, then removes it. */
static int recover(files_space* space, gibkit_sink error) {
  char* path = join(space->root, "journal");
  if (path == NULL) return fail(error, STATUS_INTERNAL, "space-files-c: out of memory");
  buffer text = {0};
  int found = 0;
  int code = read_file(path, &text, &found, error);
  if (code != STATUS_OK || !found) goto done;
  reader r = {text.data, text.size, 0, text.size >= sizeof kJournalMagic};
  if (r.ok && memcmp(text.data, kJournalMagic, sizeof kJournalMagic) != 0) r.ok = 0;
  r.at = sizeof kJournalMagic;
  gibkit_write_batch batch = {0};
  gibkit_record* puts = NULL;
  gibkit_head_update* heads = NULL;
  gibkit_str* erases = NULL;
  uint64_t n = get_u64(&r);
  puts = get_array(&r, n, sizeof *puts);
  for (uint64_t i = 0; r.ok && i < n; ++i) {
    puts[i].address = get_str(&r);
    puts[i].json_text = get_str(&r);
  }
  batch.put_count = (size_t)n;
  n = get_u64(&r);
  heads = get_array(&r, n, sizeof *heads);
  for (uint64_t i = 0; r.ok && i < n; ++i) {
    heads[i].timeline = get_str(&r);
    heads[i].head = get_str(&r);
  }
  batch.head_count = (size_t)n;
  n = get_u64(&r);
  erases = get_array(&r, n, sizeof *erases);
  for (uint64_t i = 0; r.ok && i < n; ++i) erases[i] = get_str(&r);
  batch.erase_count = (size_t)n;
  if (r.ok && (r.size - r.at != sizeof kJournalEnd || memcmp(r.data + r.at, kJournalEnd, sizeof kJournalEnd) != 0)) {
    r.ok = 0;
  }
  if (!r.ok || puts == NULL || heads == NULL || erases == NULL) {
    code = fail(error, STATUS_DATA_LOSS, "space-files-c: %s is corrupt", path);
  } else {
    batch.puts = puts;
    batch.heads = heads;
    batch.erases = erases;
    code = apply(space, &batch, error);
    if (code == STATUS_OK && unlink(path) != 0) code = fail_errno(error, "cannot remove", path);
    if (code == STATUS_OK) code = sync_dir(space->root, error);
#ifdef SPACE_FILES_HOST
    if (code == STATUS_OK) host_log(GIBKIT_LOG_WARN, "space_files.recovered", space->root, NULL, NULL);
#endif
  }
  free(puts);
  free(heads);
  free(erases);
done:
  free(text.data);
  free(path);
  return code;
}

static int write_batch(void* self, const gibkit_write_batch* batch, gibkit_sink error) {
  files_space* space = self;
  char name[NAME_MAX + 1];
  /* Input checks first (gibkit::check_write_batch), nothing applied. */
  for (size_t i = 0; i < batch->put_count; ++i) {
    if (batch->puts[i].address.size == 0) return fail(error, STATUS_INVALID_ARGUMENT, "write batch: a put has an empty address");
    if (batch->puts[i].json_text.size == 0) return fail(error, STATUS_INVALID_ARGUMENT, "write batch: a put has no record text");
    if (!encode_name(batch->puts[i].address, name)) return fail(error, STATUS_INVALID_ARGUMENT, "space-files-c: address too long for a file name");
  }
  for (size_t i = 0; i < batch->head_count; ++i) {
    if (batch->heads[i].timeline.size == 0) return fail(error, STATUS_INVALID_ARGUMENT, "write batch: a head update has an empty timeline");
    if (batch->heads[i].head.size == 0) return fail(error, STATUS_INVALID_ARGUMENT, "write batch: a head update has an empty head");
    if (!encode_name(batch->heads[i].timeline, name)) return fail(error, STATUS_INVALID_ARGUMENT, "space-files-c: timeline too long for a file name");
  }
  for (size_t i = 0; i < batch->erase_count; ++i) {
    if (batch->erases[i].size == 0) return fail(error, STATUS_INVALID_ARGUMENT, "write batch: an erase has an empty address");
    if (!encode_name(batch->erases[i], name)) return fail(error, STATUS_INVALID_ARGUMENT, "space-files-c: address too long for a file name");
  }

#ifdef SPACE_FILES_HOST
  const int64_t started_ms = host_now_ms();
#endif
  pthread_mutex_lock(&space->mutex);
  int code = STATUS_OK;
  buffer current = {0};
  buffer journal = {0};
  char* journal_path = NULL;
  /* Compare-and-swap, in order: an update sees the head an earlier one in
   * this batch set (the latest such update, searched backwards). */
  for (size_t i = 0; i < batch->head_count && code == STATUS_OK; ++i) {
    const gibkit_head_update* u = &batch->heads[i];
    if (!u->has_expected_head) continue;
    gibkit_str now = {"", 0};
    int set_in_batch = 0;
    for (size_t j = i; j-- > 0;) {
      if (batch->heads[j].timeline.size == u->timeline.size &&
          memcmp(batch->heads[j].timeline.data, u->timeline.data, u->timeline.size) == 0) {
        now = batch->heads[j].head;
        set_in_batch = 1;
        break;
      }
    }
    if (!set_in_batch) {
      encode_name(u->timeline, name);
      char* path = join(space->heads, name);
      int found = 0;
      current.size = 0;
      code = path ? read_file(path, &current, &found, error) : fail(error, STATUS_INTERNAL, "out of memory");
      free(path);
      if (code != STATUS_OK) break;
      if (found) {
        now.data = current.data;
        now.size = current.size;
      }
    }
    if (now.size != u->expected_head.size || (now.size && memcmp(now.data, u->expected_head.data, now.size) != 0)) {
      code = fail(error, STATUS_ABORTED, "space-files-c: head of %.*s moved", (int)u->timeline.size, u->timeline.data);
    }
  }
  /* The commit point: the journal renamed into place. */
  if (code == STATUS_OK && !encode_journal(batch, &journal)) code = fail(error, STATUS_INTERNAL, "out of memory");
  if (code == STATUS_OK) code = replace_file(space->root, "journal", journal.data, journal.size, error);
  if (code == STATUS_OK) code = sync_dir(space->root, error);
  if (code == STATUS_OK) {
    code = apply(space, batch, error);
    journal_path = join(space->root, "journal");
    /* On failure the journal stays: the next open finishes the batch. */
    if (code == STATUS_OK && (journal_path == NULL || unlink(journal_path) != 0)) {
      code = fail(error, STATUS_UNAVAILABLE, "space-files-c: cannot remove the journal");
    }
  }
  pthread_mutex_unlock(&space->mutex);
  free(current.data);
  free(journal.data);
  free(journal_path);
#ifdef SPACE_FILES_HOST
  if (code == STATUS_OK && space->batches != NULL) {
    const gibkit_host* host = atomic_load(&g_host);
    host->counter_add(host->ctx, space->batches, 1);
    host->histogram_observe(host->ctx, space->seconds, (double)(host_now_ms() - started_ms) / 1000.0);
  }
#endif
  return code;
}

/* Looks up dir/<encoded key>; writes the content to `out` when found. */
static int lookup(files_space* space, const char* dir, gibkit_str key, int* found, gibkit_sink* out,
                  gibkit_sink error) {
  char name[NAME_MAX + 1];
  *found = 0;
  if (!encode_name(key, name)) return STATUS_OK; /* empty or too long: never stored */
  char* path = join(dir, name);
  if (path == NULL) return fail(error, STATUS_INTERNAL, "space-files-c: out of memory");
  buffer content = {0};
  pthread_mutex_lock(&space->mutex);
  int code;
  if (out == NULL) {
    struct stat st;
    code = STATUS_OK;
    if (stat(path, &st) == 0) {
      *found = 1;
    } else if (errno != ENOENT) {
      code = fail_errno(error, "cannot stat", path);
    }
  } else {
    code = read_file(path, &content, found, error);
  }
  pthread_mutex_unlock(&space->mutex);
  if (code == STATUS_OK && *found && out != NULL) out->write(out->ctx, content.data ? content.data : "", content.size);
  free(content.data);
  free(path);
  return code;
}

static int get(void* self, gibkit_str address, int* found, gibkit_sink out, gibkit_sink error) {
  files_space* space = self;
  return lookup(space, space->records, address, found, &out, error);
}

static int has(void* self, gibkit_str address, int* found, gibkit_sink error) {
  files_space* space = self;
  return lookup(space, space->records, address, found, NULL, error);
}

static int head(void* self, gibkit_str timeline, int* found, gibkit_sink out, gibkit_sink error) {
  files_space* space = self;
  return lookup(space, space->heads, timeline, found, &out, error);
}

/* Visits every file of `dir` as (decoded name, content). The visitor runs
 * with the mutex held; it must not call back into the space (space.h). */
static int for_each(files_space* space, const char* dir, gibkit_pair_visitor visitor, gibkit_sink error) {
  pthread_mutex_lock(&space->mutex);
  int code = STATUS_OK;
  DIR* d = opendir(dir);
  if (d == NULL) {
    code = fail_errno(error, "cannot list", dir);
    goto unlock;
  }
  buffer content = {0};
  struct dirent* entry;
  while ((entry = readdir(d)) != NULL) {
    if (entry->d_name[0] == '.') continue; /* ., .. and .tmp */
    char* path = join(dir, entry->d_name);
    if (path == NULL) {
      code = fail(error, STATUS_INTERNAL, "space-files-c: out of memory");
      break;
    }
    int found = 0;
    content.size = 0;
    code = read_file(path, &content, &found, error);
    free(path);
    if (code != STATUS_OK) break;
    if (!found) continue;
    char name[NAME_MAX + 1];
    memcpy(name, entry->d_name, strlen(entry->d_name) + 1);
    long size = decode_name(name);
    if (size <= 0) continue; /* not a file this plugin wrote */
    gibkit_str first = {name, (size_t)size};
    gibkit_str second = {content.data ? content.data : "", content.size};
    if (!visitor.visit(visitor.ctx, first, second)) break;
  }
  free(content.data);
  closedir(d);
unlock:
  pthread_mutex_unlock(&space->mutex);
  return code;
}

static int for_each_record(void* self, gibkit_pair_visitor visitor, gibkit_sink error) {
  files_space* space = self;
  return for_each(space, space->records, visitor, error);
}

static int for_each_head(void* self, gibkit_pair_visitor visitor, gibkit_sink error) {
  files_space* space = self;
  return for_each(space, space->heads, visitor, error);
}

static const gibkit_space_vtable kSpaceVtable = {
    .struct_size = sizeof(gibkit_space_vtable),
    .destroy = destroy,
    .write = write_batch,
    .get = get,
    .has = has,
    .head = head,
    .for_each_record = for_each_record,
    .for_each_head = for_each_head,
};

/* ---- Config: the kernel hands a flat JSON object, already validated -------- */

typedef struct json_cursor {
  const char* at;
  const char* end;
} json_cursor;

static void skip_space(json_cursor* c) {
  while (c->at < c->end && (*c->at == ' ' || *c->at == '\t' || *c->at == '\n' || *c->at == '\r')) ++c->at;
}

static void put_utf8(buffer* b, unsigned long cp) {
  unsigned char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (unsigned char)cp, n = 1;
  } else if (cp < 0x800) {
    u[0] = (unsigned char)(0xC0 | (cp >> 6)), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    u[0] = (unsigned char)(0xE0 | (cp >> 12)), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
  } else {
    u[0] = (unsigned char)(0xF0 | (cp >> 18)), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (unsigned char)(0x80 | (cp & 0x3F)), n = 4;
  }
  buffer_append(b, u, n);
}

static int read_hex4(json_cursor* c, unsigned long* out) {
  if (c->end - c->at < 4) return 0;
  unsigned long v = 0;
  for (int i = 0; i < 4; ++i) {
    char h = c->at[i];
    int d = (h >= 'a' && h <= 'f') ? h - 'a' + 10 : hex_value(h);
    if (d < 0) return 0;
    v = v * 16 + (unsigned long)d;
  }
  c->at += 4;
  *out = v;
  return 1;
}

/* Parses a JSON string at the cursor into `out` (NUL-terminated). */
static int parse_string(json_cursor* c, buffer* out) {
  out->size = 0;
  if (c->at >= c->end || *c->at != '"') return 0;
  ++c->at;
  while (c->at < c->end && *c->at != '"') {
    char ch = *c->at++;
    if (ch != '\\') {
      buffer_append(out, &ch, 1);
      continue;
    }
    if (c->at >= c->end) return 0;
    char e = *c->at++;
    static const char kEscapes[] = "\"\\/bfnrt";
    static const char kDecoded[] = "\"\\/\b\f\n\r\t";
    const char* simple = e != '\0' ? strchr(kEscapes, e) : NULL;
    if (simple != NULL) {
      buffer_append(out, &kDecoded[simple - kEscapes], 1);
    } else if (e == 'u') {
      unsigned long cp;
      if (!read_hex4(c, &cp)) return 0;
      if (cp >= 0xD800 && cp < 0xDC00 && c->end - c->at >= 6 && c->at[0] == '\\' && c->at[1] == 'u') {
        json_cursor low_at = {c->at + 2, c->end};
        unsigned long low;
        if (read_hex4(&low_at, &low) && low >= 0xDC00 && low < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          c->at = low_at.at;
        }
      }
      put_utf8(out, cp);
    } else {
      return 0;
    }
  }
  if (c->at >= c->end) return 0;
  ++c->at;
  return buffer_append(out, "", 1); /* NUL, not counted by the caller */
}

/* Skips a scalar value (number, true, false, null) and reports its first character. */
static char skip_scalar(json_cursor* c) {
  char first = c->at < c->end ? *c->at : '\0';
  while (c->at < c->end && *c->at != ',' && *c->at != '}' && *c->at != ' ' && *c->at != '\n') ++c->at;
  return first;
}

typedef struct config {
  char* path;
  int create_if_missing;
} config;

static int parse_config(gibkit_str text, config* out, gibkit_sink error) {
  json_cursor c = {text.data, text.data + text.size};
  buffer key = {0}, value = {0};
  int code = STATUS_OK;
  out->path = NULL;
  out->create_if_missing = 1;
  skip_space(&c);
  if (c.at >= c.end || *c.at++ != '{') goto bad;
  skip_space(&c);
  if (c.at < c.end && *c.at == '}') goto end;
  for (;;) {
    skip_space(&c);
    if (!parse_string(&c, &key)) goto bad;
    skip_space(&c);
    if (c.at >= c.end || *c.at++ != ':') goto bad;
    skip_space(&c);
    if (strcmp(key.data, "path") == 0) {
      if (!parse_string(&c, &value)) goto bad;
      free(out->path);
      out->path = strdup(value.data);
    } else if (strcmp(key.data, "create_if_missing") == 0) {
      char first = skip_scalar(&c);
      if (first != 't' && first != 'f') goto bad;
      out->create_if_missing = first == 't';
    } else if (c.at < c.end && *c.at == '"') {
      if (!parse_string(&c, &value)) goto bad; /* a key this version does not know */
    } else if (c.at >= c.end || *c.at == '{' || *c.at == '[') {
      goto bad;
    } else {
      skip_scalar(&c);
    }
    skip_space(&c);
    if (c.at < c.end && *c.at == ',') {
      ++c.at;
      continue;
    }
    if (c.at < c.end && *c.at == '}') break;
    goto bad;
  }
end:
  if (out->path == NULL || out->path[0] == '\0') {
    code = fail(error, STATUS_INVALID_ARGUMENT, "space-files-c: config needs a non-empty 'path'");
  }
  goto done;
bad:
  code = fail(error, STATUS_INVALID_ARGUMENT, "space-files-c: config is not a flat JSON object");
done:
  free(key.data);
  free(value.data);
  if (code != STATUS_OK) {
    free(out->path);
    out->path = NULL;
  }
  return code;
}

static int make_dir(const char* path, gibkit_sink error) {
  if (mkdir(path, 0755) == 0 || errno == EEXIST) return STATUS_OK;
  return fail_errno(error, "cannot create directory", path);
}

static int create_space(gibkit_str config_json, gibkit_space* out, gibkit_sink error) {
  config cfg;
  int code = parse_config(config_json, &cfg, error);
  if (code != STATUS_OK) return code;
  files_space* space = calloc(1, sizeof *space);
  if (space == NULL) {
    free(cfg.path);
    return fail(error, STATUS_INTERNAL, "space-files-c: out of memory");
  }
  space->lock_fd = -1;
  pthread_mutex_init(&space->mutex, NULL);
  space->root = cfg.path;
  space->records = join(cfg.path, "records");
  space->heads = join(cfg.path, "heads");
  char* lock_path = join(cfg.path, "LOCK");
  if (space->records == NULL || space->heads == NULL || lock_path == NULL) {
    code = fail(error, STATUS_INTERNAL, "space-files-c: out of memory");
    goto done;
  }
  struct stat st;
  if (stat(space->root, &st) != 0) {
    if (errno != ENOENT) {
      code = fail_errno(error, "cannot stat", space->root);
      goto done;
    }
    if (!cfg.create_if_missing) {
      code = fail(error, STATUS_NOT_FOUND, "space-files-c: %s does not exist (create_if_missing is false)",
                  space->root);
      goto done;
    }
  }
  if (cfg.create_if_missing && (code = make_dir(space->root, error)) != STATUS_OK) goto done;
  if ((code = make_dir(space->records, error)) != STATUS_OK) goto done;
  if ((code = make_dir(space->heads, error)) != STATUS_OK) goto done;
  space->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (space->lock_fd < 0) {
    code = fail_errno(error, "cannot open", lock_path);
    goto done;
  }
  if (flock(space->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    code = fail(error, STATUS_UNAVAILABLE, "space-files-c: %s is locked by another instance", space->root);
    goto done;
  }
  code = recover(space, error);
done:
  free(lock_path);
  if (code != STATUS_OK) {
    destroy(space);
    return code;
  }
#ifdef SPACE_FILES_HOST
  host_metrics(&space->batches, &space->seconds);
  if (space->seconds == NULL) space->batches = NULL; /* both or neither */
  host_log(GIBKIT_LOG_INFO, "space_files.opened", space->root, "create_if_missing",
           cfg.create_if_missing ? "true" : "false");
#endif
  out->self = space;
  out->vtable = &kSpaceVtable;
  return STATUS_OK;
}

/* ---- Descriptor and entry point ------------------------------------------ */

static const gibkit_plugin_descriptor kDescriptor = {
    .sdk_version_major = GIBKIT_SDK_VERSION_MAJOR,
    .sdk_version_minor = GIBKIT_SDK_VERSION_MINOR,
    .struct_size = sizeof(gibkit_plugin_descriptor),
    .kind = GIBKIT_PLUGIN_KIND_SPACE,
    .name = "space-files-c",
    .version = "1.0.0",
    .description = "Keeps records and heads as files in a directory (an example plugin written in C)",
    .config_schema_json =
        "[{\"key\":\"path\",\"type\":\"path\",\"required\":true,"
        "\"description\":\"Directory of the space (records/, heads/, journal, LOCK)\",\"persistsState\":true},"
        "{\"key\":\"create_if_missing\",\"type\":\"boolean\",\"required\":false,\"default\":true,"
        "\"description\":\"Create the directory if it does not exist\"}]",
    .create_space = create_space,
    .create_transport = NULL,
    .create_signer = NULL,
    .signer_frame_ibs = NULL,
#ifdef SPACE_FILES_HOST
    .attach_host = attach_host,
#endif
};

SPACE_FILES_EXPORT const gibkit_plugin_descriptor* gibkit_plugin_v1(void);

SPACE_FILES_EXPORT const gibkit_plugin_descriptor* gibkit_plugin_v1(void) { return &kDescriptor; }
