/* build.c -- turn a target's sources into a TSan or ASan binary linked with
 * racelab's runtime (librlrt.a and its --wrap options), reusing a cached
 * binary when nothing that decides it has changed. Compiles run supervised:
 * a compiler that loops or floods is bounded like any program. */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "supervise.h"
#include "util.h"

#define COMPILE_TIMEOUT_MS 120000
#define DIAGNOSTICS_CAP (64 * 1024)

static const char *const kind_names[] = {
#define XX(e, name, flag) name,
    RL_BUILD_KIND_MAP(XX)
#undef XX
};
static const char *const kind_flags[] = {
#define XX(e, name, flag) flag,
    RL_BUILD_KIND_MAP(XX)
#undef XX
};

/* Flags every build shares; the sanitizer flag and the runtime come after. */
static const char *const common_flags[] = {"-g", "-O1", "-fno-omit-frame-pointer", "-pthread", NULL};

const char *rl_build_kind_name(rl_build_kind kind) { return kind_names[kind]; }

int rl_build_kind_parse(const char *name, rl_build_kind *kind) {
  for (int k = 0; k < RL_BUILD_COUNT; k++) {
    if (strcmp(name, kind_names[k]) == 0) {
      *kind = (rl_build_kind)k;
      return 0;
    }
  }
  return -1;
}

const char *rl_build_compiler(void) {
  static char *compiler;
  if (!compiler) {
    const char *name = getenv("RACELAB_CC");
    if (!name || !*name) name = getenv("CC");
    if (!name || !*name) name = "cc";
    compiler = rl_find_program(name);
    if (!compiler) compiler = rl_xstrdup(name);
  }
  return compiler;
}

static char *const build_env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "TMPDIR=/tmp", NULL};

/* The compiler's own first --version line: part of every cache key, so an
 * upgraded compiler rebuilds everything. */
static const char *compiler_version(void) {
  static char *version;
  if (version) return version;
  char *argv[] = {(char *)rl_build_compiler(), "--version", NULL};
  rl_run_spec spec = {.argv = argv, .envp = build_env, .timeout_ms = 10000, .output_cap = 4096};
  rl_run_result res;
  if (rl_supervise(&spec, &res) == 0) {
    char *nl = strchr(res.out, '\n');
    version = rl_xstrndup(res.out, nl ? (size_t)(nl - res.out) : res.out_len);
    rl_run_result_free(&res);
  } else {
    version = rl_xstrdup("unknown");
  }
  return version;
}

typedef struct {
  char **v;
  size_t n;
} argv_builder;

static void arg(argv_builder *b, const char *s) {
  b->v = rl_xrealloc(b->v, (b->n + 2) * sizeof *b->v);
  b->v[b->n++] = rl_xstrdup(s);
  b->v[b->n] = NULL;
}

/* The compiler and every flag that decides how the sources read: the build
 * and the screen's preprocessing share them. */
static argv_builder flags_command(const rl_target *t, rl_build_kind kind) {
  argv_builder b = {0};
  arg(&b, rl_build_compiler());
  for (const char *const *f = common_flags; *f; f++) arg(&b, *f);
  arg(&b, kind_flags[kind]);
  /* A learner's copy (--against) includes the exercise's own headers. */
  arg(&b, "-I");
  arg(&b, t->run_dir);
  return b;
}

/* The full compile-and-link command, output path last-but-libs. */
static argv_builder compile_command(const rl_target *t, rl_build_kind kind, const char *output) {
  argv_builder b = flags_command(t, kind);
  for (size_t i = 0; i < t->nsources; i++) arg(&b, t->sources[i]);
  arg(&b, "-o");
  arg(&b, output);
  arg(&b, RL_RUNTIME_LIB);
  char *wrap = rl_xasprintf("@%s", RL_RUNTIME_WRAP);
  arg(&b, wrap);
  free(wrap);
  if (t->uses_cmocka) arg(&b, "-lcmocka");
  arg(&b, "-luv");
  arg(&b, "-lunwind");
  arg(&b, "-lpthread");
  return b;
}

static int cache_key(const argv_builder *cmd, char hex[33], char *err, size_t errcap) {
  rl_hash h;
  rl_hash_init(&h);
  rl_hash_string(&h, compiler_version());
  for (size_t i = 0; i < cmd->n; i++) {
    if (strcmp(cmd->v[i], "-o") == 0) {
      i++;  /* the output path is derived from the key */
      continue;
    }
    rl_hash_string(&h, cmd->v[i]);
    const char *path = cmd->v[i][0] == '@' ? cmd->v[i] + 1 : cmd->v[i];
    if (path[0] == '/' && rl_is_file(path) && rl_hash_file(&h, path) != 0) {
      snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
      return -1;
    }
  }
  rl_hash_hex(&h, hex);
  return 0;
}

/* The folders a sandboxed compile must see: every source's, the runtime's
 * library and its link options. NULL-terminated, fresh strings. */
static char **visible_folders(const rl_target *t) {
  const char *paths[] = {RL_RUNTIME_LIB, RL_RUNTIME_WRAP, t->run_dir};
  char **v = rl_xcalloc(t->nsources + 4, sizeof *v);
  size_t n = 0;
  for (size_t i = 0; i < t->nsources + 3; i++) {
    const char *p = i < 3 ? paths[i] : t->sources[i - 3];
    char *dir = i == 2 ? rl_xstrdup(p) : rl_xstrndup(p, (size_t)(rl_path_basename(p) - p));
    int seen = 0;
    for (size_t k = 0; k < n; k++) seen |= strcmp(v[k], dir) == 0;
    if (seen) free(dir);
    else v[n++] = dir;
  }
  return v;
}

/* Compile into work/name; on success the caller publishes it. */
static int compile(const rl_target *t, const argv_builder *cmd, const rl_sandbox *sandbox, const char *work,
                   rl_build_result *out, char *err, size_t errcap) {
  rl_sandbox sb;
  char **visible = NULL;
  rl_run_spec spec = {.argv = cmd->v, .envp = build_env, .cwd = t->run_dir, .timeout_ms = COMPILE_TIMEOUT_MS,
                      .output_cap = DIAGNOSTICS_CAP};
  if (sandbox) {
    sb = *sandbox;
    visible = visible_folders(t);
    sb.ro_paths = (const char *const *)visible;
    sb.rw_path = work;
    spec.sandbox = &sb;
  }
  rl_run_result res;
  int started = rl_supervise(&spec, &res);
  rl_free_strv(visible);
  if (started != 0) {
    snprintf(err, errcap, "cannot run the compiler %s: %s", rl_build_compiler(), strerror(-started));
    return -1;
  }
  /* gcc and clang print diagnostics on stderr; keep both, errors first. */
  out->diagnostics =
      rl_xasprintf("%s%s%s", res.err, res.timed_out ? "racelab: the compiler timed out\n" : "", res.out);
  int ok = res.exited && res.exit_code == 0 && !res.timed_out;
  rl_run_result_free(&res);
  return ok ? 0 : 1;
}

/* A private folder in the build cache for one compile, or NULL with a
 * one-line reason in err. */
static char *work_folder(char *err, size_t errcap) {
  const char *cache = rl_cache_dir();
  if (!cache) {
    snprintf(err, errcap, "cannot create the build cache: %s", strerror(errno));
    return NULL;
  }
  char *work = rl_xasprintf("%s/build.XXXXXX", cache);
  if (mkdtemp(work)) return work;
  snprintf(err, errcap, "cannot create a build folder in %s: %s", cache, strerror(errno));
  free(work);
  return NULL;
}

int rl_build(const rl_target *t, rl_build_kind kind, const rl_sandbox *sandbox, rl_build_result *out, char *err,
             size_t errcap) {
  memset(out, 0, sizeof *out);
  /* The binary keeps the target's name so sanitizer frames read well. It is
   * built in a private folder of the cache and published by rename, so a
   * concurrent racelab sees all of it or nothing. */
  char *work = work_folder(err, errcap);
  if (!work) return -1;
  const char *stem = rl_path_basename(t->sources[0]);
  char *name = rl_xstrndup(stem, strcspn(stem, "."));
  char *tmp = rl_path_join(work, name);
  argv_builder cmd = compile_command(t, kind, tmp);
  char hex[33];
  int rc = cache_key(&cmd, hex, err, errcap);
  char *final_dir = rc == 0 ? rl_xasprintf("%s/%s-%s", rl_cache_dir(), hex, kind_names[kind]) : NULL;
  char *final = final_dir ? rl_path_join(final_dir, name) : NULL;
  if (rc == 0 && rl_is_file(final)) {
    out->diagnostics = rl_xstrdup("");
    out->cached = 1;
  } else if (rc == 0) {
    rc = compile(t, &cmd, sandbox, work, out, err, errcap);
    if (rc == 0 && (rl_mkdirs(final_dir) != 0 || rename(tmp, final) != 0)) {
      snprintf(err, errcap, "cannot store %s: %s", final, strerror(errno));
      rc = -1;
    }
  }
  if (rc == 0) {
    out->binary = final;
    final = NULL;
  }
  rl_remove_tree(work);
  rl_free_strv(cmd.v);
  free(name), free(work), free(tmp), free(final_dir), free(final);
  return rc;
}

int rl_build_preprocess(const rl_target *t, rl_build_kind kind, const char *source, const rl_sandbox *sandbox,
                        char **text, char *err, size_t errcap) {
  *text = NULL;
  char *work = work_folder(err, errcap);
  if (!work) return -1;
  char *output = rl_path_join(work, "source.i");
  argv_builder cmd = flags_command(t, kind);
  arg(&cmd, "-E");
  arg(&cmd, "-dD"); /* keep the #define lines too: the screen reads them */
  arg(&cmd, source);
  arg(&cmd, "-o");
  arg(&cmd, output);
  rl_build_result diagnostics = {0};
  int rc = compile(t, &cmd, sandbox, work, &diagnostics, err, errcap);
  if (rc == 0 && !(*text = rl_read_file(output, NULL))) {
    snprintf(err, errcap, "cannot read %s: %s", output, strerror(errno));
    rc = -1;
  }
  rl_build_result_free(&diagnostics);
  rl_remove_tree(work);
  rl_free_strv(cmd.v);
  free(work), free(output);
  return rc;
}

void rl_build_result_free(rl_build_result *r) {
  free(r->binary);
  free(r->diagnostics);
  memset(r, 0, sizeof *r);
}
