/* build.h -- compile a target into its sanitizer builds, with racelab's
 * runtime linked in, through the content-hash cache. */
#ifndef RL_BUILD_H
#define RL_BUILD_H

#include <stddef.h>

#include "sandbox.h"
#include "target.h"

/* The builds, in the order a check runs them. */
#define RL_BUILD_KIND_MAP(XX)                  \
  XX(TSAN, "tsan", "-fsanitize=thread")        \
  XX(ASAN, "asan", "-fsanitize=address")

typedef enum {
#define XX(e, name, flag) RL_BUILD_##e,
  RL_BUILD_KIND_MAP(XX)
#undef XX
      RL_BUILD_COUNT
} rl_build_kind;

const char *rl_build_kind_name(rl_build_kind kind);
int rl_build_kind_parse(const char *name, rl_build_kind *kind);

typedef struct {
  char *binary;       /* the built program, NULL if it did not compile */
  char *diagnostics;  /* what the compiler printed (may be empty) */
  int cached;         /* reused without compiling */
} rl_build_result;

/* The compiler racelab uses: $RACELAB_CC, else $CC, else cc, as a path. */
const char *rl_build_compiler(void);

/* Build t for kind. The compiler runs in sandbox when one is given (it
 * reads untrusted sources: `#include "/etc/shadow"` must find nothing).
 * Returns 0 when out->binary is ready, 1 when the program does not compile
 * (out->diagnostics says why), or -1 with a one-line reason in err when
 * racelab could not build at all (internal error). */
int rl_build(const rl_target *t, rl_build_kind kind, const rl_sandbox *sandbox, rl_build_result *out, char *err,
             size_t errcap);
void rl_build_result_free(rl_build_result *r);

/* Preprocess one source of t (cc -E -dD) with kind's flags, in sandbox when
 * one is given; *text is the output, with its line markers and #defines.
 * Returns 0, 1 when the source does not preprocess (its build will say
 * why), or -1 with a one-line reason in err. */
int rl_build_preprocess(const rl_target *t, rl_build_kind kind, const char *source, const rl_sandbox *sandbox,
                        char **text, char *err, size_t errcap);

#endif
