/* Crash recovery of space-files-c: a batch whose journal was committed but
 * not (or only partly) applied when the process died is finished by the next
 * open; a corrupt journal is reported as data loss, not guessed at. Built
 * in-tree only (ctest space_files_c.recovery); includes the plugin's source
 * to reach its journal functions. */
#include "space_files.c"

#include <stdio.h>

static int failures = 0;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

static void collect(void* ctx, const char* data, size_t size) {
  buffer* b = ctx;
  b->size = 0;
  buffer_append(b, data, size);
  buffer_append(b, "", 1);
}

static gibkit_str str(const char* s) {
  gibkit_str out = {s, strlen(s)};
  return out;
}

static int open_space(const char* dir, gibkit_space* space, buffer* error) {
  char config[1024];
  snprintf(config, sizeof config, "{\"path\":\"%s\",\"create_if_missing\":true}", dir);
  gibkit_sink sink = {error, collect};
  return gibkit_plugin_v1()->create_space(str(config), space, sink);
}

/* The text stored under `key` by get (records) or head (heads), or "" when absent. */
static const char* lookup_text(gibkit_space* space, int record, const char* key, buffer* out) {
  buffer error = {0};
  gibkit_sink out_sink = {out, collect}, error_sink = {&error, collect};
  int found = 0;
  out->size = 0;
  int code = record ? space->vtable->get(space->self, str(key), &found, out_sink, error_sink)
                    : space->vtable->head(space->self, str(key), &found, out_sink, error_sink);
  free(error.data);
  return code == 0 && found ? out->data : "";
}

static int file_exists(const char* dir, const char* name) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct stat st;
  return stat(path, &st) == 0;
}

int main(void) {
  char dir[] = "/tmp/space-files-c-recovery-XXXXXX";
  if (mkdtemp(dir) == NULL) return 2;
  buffer error = {0}, text = {0};
  gibkit_space space;

  /* A first batch, applied normally. */
  CHECK(open_space(dir, &space, &error) == 0);
  gibkit_record first = {str("a^gib"), str("{\"ib\":\"a\"}")};
  gibkit_write_batch batch1 = {&first, 1, NULL, 0, NULL, 0};
  gibkit_sink error_sink = {&error, collect};
  CHECK(space.vtable->write(space.self, &batch1, error_sink) == 0);
  CHECK(!file_exists(dir, "journal"));
  space.vtable->destroy(space.self);

  /* A crash right after the commit point: the journal of a second batch is
   * in place, nothing of it applied (written as write_batch writes it). */
  gibkit_record puts[2] = {{str("b^gib"), str("{\"ib\":\"b\"}")}, {str("a^gib"), str("{\"ib\":\"other\"}")}};
  gibkit_head_update heads[2] = {{str("t^gib"), str("a^gib"), 0, str("")}, {str("t^gib"), str("b^gib"), 0, str("")}};
  gibkit_str erases[1] = {str("gone^gib")};
  gibkit_write_batch batch2 = {puts, 2, heads, 2, erases, 1};
  buffer journal = {0};
  CHECK(encode_journal(&batch2, &journal));
  CHECK(replace_file(dir, "journal", journal.data, journal.size, error_sink) == 0);

  /* The next open finishes it: puts (a^gib keeps its first bytes), heads in
   * order, and the journal is gone. */
  CHECK(open_space(dir, &space, &error) == 0);
  CHECK(strcmp(lookup_text(&space, 1, "b^gib", &text), "{\"ib\":\"b\"}") == 0);
  CHECK(strcmp(lookup_text(&space, 1, "a^gib", &text), "{\"ib\":\"a\"}") == 0);
  CHECK(strcmp(lookup_text(&space, 0, "t^gib", &text), "b^gib") == 0);
  CHECK(!file_exists(dir, "journal"));
  space.vtable->destroy(space.self);

  /* A second instance on the same directory is refused while one is open. */
  gibkit_space other;
  CHECK(open_space(dir, &space, &error) == 0);
  CHECK(open_space(dir, &other, &error) == STATUS_UNAVAILABLE);
  space.vtable->destroy(space.self);

  /* A torn or foreign journal is data loss, reported, never applied. */
  CHECK(replace_file(dir, "journal", journal.data, journal.size - 1, error_sink) == 0);
  CHECK(open_space(dir, &space, &error) == STATUS_DATA_LOSS);
  CHECK(error.data != NULL && strstr(error.data, "journal is corrupt") != NULL);

  char cleanup[PATH_MAX + 16];
  snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
  if (system(cleanup) != 0) fprintf(stderr, "could not remove %s\n", dir);
  free(journal.data);
  free(error.data);
  free(text.data);
  if (failures == 0) printf("space-files-c recovery: OK\n");
  return failures == 0 ? 0 : 1;
}
