/* screen.c -- read an exercise's preprocessed source for names that turn
 * racelab's checks off (screen.h). The preprocessor's line markers say which
 * file each line came from, so the system headers' own uses of asm and the
 * like do not count. A line directive in an own file could rename the lines
 * after it into a system header, so the own files themselves are read for
 * those. */
#include "screen.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "util.h"

#define MAX_FINDINGS 16            /* distinct names reported; one is enough to fail */
#define OWN_FILE_MAX (4 << 20)     /* an own file read for line directives */

/* What a checked program must not name, as fnmatch(3) extended patterns,
 * and why. Compiler-inserted calls (__tsan_read4) are not in the source.
 * The names no system header here uses are looked for everywhere, so that
 * a macro of the program's own expanded inside a system header is caught;
 * the others (glibc declares syscall() and redirects with asm) only in the
 * program's own lines. */
static const struct {
  const char *pattern;
  int everywhere;
  const char *why;
} forbidden[] = {
    {"__tsan_*", 1, "ThreadSanitizer's own interface, which can hide accesses, synchronization or reports from it"},
    {"@(__asan_*|__lsan_*)", 1, "AddressSanitizer's own interface, which can unpoison memory it would report"},
    {"__sanitizer_*", 1, "the sanitizers' common interface, which can redirect or silence their reports"},
    {"__interceptor_*", 1, "a sanitizer's interceptor called directly, around racelab's runtime"},
    {"@(Annotate[A-Z]*|WTFAnnotate*)", 1, "a ThreadSanitizer annotation, which can declare a race benign or hide "
                                          "accesses from it"},
    {"@(*no_sanitize*|*disable_sanitizer_instrumentation*)", 1, "an attribute that turns the sanitizers off"},
    {"@(__real_[!_]*|__wrap_*|rlrt_*)", 1, "racelab's runtime's own names, which go around its jitter and "
                                           "bookkeeping"},
    {"@(asm|__asm|__asm__)", 0, "inline assembly, whose reads, writes and system calls no sanitizer sees"},
    {"syscall", 0, "a raw system call, which goes around the sanitizers and racelab's runtime (glibc has a "
                   "function for every call a program here needs)"},
    {"@(dlsym|dlvsym|dlopen|dlmopen)", 0, "a run-time symbol lookup, which can reach any of these by a name no "
                                          "screen can read"},
};

static const char *const line_directive_why =
    "a line directive, which can pass the lines after it off as a system header's";

static const char *const reserved_define_why =
    "a macro with a name reserved for the compiler and the C library: their headers would expand it in their "
    "own lines, where this screen does not look for asm or syscall";

typedef struct {
  const char *const *own_dirs;
  rl_findings *out;
  char **files_read; /* own files already read for line directives, NULL-terminated */
  size_t nfiles_read;
} screen_state;

/* Where a name was found: a line of the program's own, or a system header
 * reached from the own line `file:line` (an #include) through `via`. */
typedef struct {
  const char *file;
  int line;
  const char *via; /* NULL on an own line */
} screen_place;

/* The canonical path of a marker's file if it lies under one of the own
 * folders (which are canonical), else NULL: a name that climbs through
 * "..", or a link, counts where it leads. */
static char *own_path(const screen_state *s, const char *file) {
  char *real = realpath(file, NULL);
  for (const char *const *d = s->own_dirs; real && *d; d++) {
    size_t n = strlen(*d);
    if (strncmp(real, *d, n) == 0 && real[n] == '/') return real;
  }
  free(real);
  return NULL;
}

static int already_reported(const screen_state *s, const char *name) {
  for (size_t i = 0; i < s->out->count; i++) {
    const rl_finding *f = &s->out->items[i];
    if (f->kind == RL_FINDING_CHECK_BYPASS && f->nlocations && strcmp(f->locations[0].role, name) == 0) return 1;
  }
  return 0;
}

/* One finding per forbidden name, at its first use. */
static void report(screen_state *s, const char *name, const char *why, const screen_place *at) {
  if (s->out->count >= MAX_FINDINGS || already_reported(s, name)) return;
  rl_finding *f = rl_findings_add(s->out, RL_FINDING_CHECK_BYPASS);
  f->summary = at->via ? rl_xasprintf("%s: %s (in %s, included here)", name, why, at->via)
                       : rl_xasprintf("%s: %s", name, why);
  f->count = 1;
  rl_location *loc = rl_finding_add_location(f);
  loc->file = rl_xstrdup(at->file);
  loc->line = at->line;
  loc->role = rl_xstrdup(name);
  loc->thread = -1;
}

static void check_name(screen_state *s, const char *name, size_t len, const screen_place *at) {
  char *word = rl_xstrndup(name, len);
  for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
    if ((forbidden[i].everywhere || !at->via) && fnmatch(forbidden[i].pattern, word, FNM_EXTMATCH) == 0) {
      report(s, word, forbidden[i].why, at);
      break;
    }
  }
  free(word);
}

static int is_name_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

/* Past a string or character literal starting at p (its quote). */
static const char *skip_literal(const char *p, const char *end) {
  char quote = *p++;
  while (p < end && *p != quote) p += *p == '\\' && p + 1 < end ? 2 : 1;
  return p < end ? p + 1 : end;
}

/* Every identifier of one preprocessed line, literals and numbers skipped. */
static void scan_line(screen_state *s, const char *p, const char *end, const screen_place *at) {
  while (p < end) {
    if (*p == '"' || *p == '\'') {
      p = skip_literal(p, end);
    } else if (isdigit((unsigned char)*p)) { /* a pp-number: 0x1e+5, 10ul */
      for (p++; p < end && (is_name_char(*p) || *p == '.' || ((*p == '+' || *p == '-') && strchr("eEpP", p[-1])));)
        p++;
    } else if (is_name_char(*p)) {
      const char *start = p;
      while (p < end && is_name_char(*p)) p++;
      check_name(s, start, (size_t)(p - start), at);
    } else {
      p++;
    }
  }
}

/* The text with every backslash-newline removed, as the preprocessor's first
 * phases do; the newlines removed are added after the logical line so that
 * line numbers still match the file's. */
static char *spliced(const char *text) {
  size_t n = strlen(text), k = 0;
  char *out = rl_xmalloc(n + 1);
  int pending = 0;
  for (size_t i = 0; i < n; i++) {
    if (text[i] == '\\' && text[i + 1] == '\n') {
      pending++, i++;
    } else {
      out[k++] = text[i];
      if (text[i] == '\n')
        for (; pending; pending--) out[k++] = '\n';
    }
  }
  out[k] = '\0';
  return out;
}

/* Past blanks and block comments (which may hold newlines: a comment is
 * one space to the preprocessor, so a directive goes on after it). */
static const char *skip_blanks(const char *p, int *line) {
  for (;;) {
    p += strspn(p, " \t\f\v\r");
    if (p[0] != '/' || p[1] != '*') return p;
    const char *close = strstr(p + 2, "*/");
    const char *stop = close ? close + 2 : p + strlen(p);
    for (; p < stop; p++) *line += *p == '\n';
  }
}

/* The line of the first line directive in a source file (`#line N`, or
 * GCC's `# N "file"`; `%:` spells `#` too): a `#` first on its logical
 * line, comments aside; 0 if none. */
static int first_line_directive(const char *raw) {
  char *text = spliced(raw);
  int line = 1, found = 0, first = 1; /* first: only blanks and comments so far on this line */
  for (const char *p = text; *p && !found;) {
    p = skip_blanks(p, &line);
    if (!*p) break;
    if (*p == '\n') {
      line++, first = 1, p++;
    } else if (p[0] == '/' && p[1] == '/') {
      p += strcspn(p, "\n");
    } else if (first && (*p == '#' || (p[0] == '%' && p[1] == ':'))) {
      int at = line;
      p = skip_blanks(p + (*p == '#' ? 1 : 2), &line);
      if (isdigit((unsigned char)*p) || (strncmp(p, "line", 4) == 0 && !is_name_char(p[4]))) found = at;
      first = 0;
    } else {
      first = 0;
      p = *p == '"' || *p == '\'' ? skip_literal(p, p + strcspn(p, "\n")) : p + 1;
    }
  }
  free(text);
  return found;
}

/* Read an own file for line directives, once. */
static void read_own_file(screen_state *s, const char *path) {
  for (size_t i = 0; i < s->nfiles_read; i++)
    if (strcmp(s->files_read[i], path) == 0) return;
  s->files_read = rl_xrealloc(s->files_read, (s->nfiles_read + 2) * sizeof *s->files_read);
  s->files_read[s->nfiles_read++] = rl_xstrdup(path);
  s->files_read[s->nfiles_read] = NULL;
  size_t len;
  char *raw = rl_read_untrusted_file(path, OWN_FILE_MAX, &len);
  int line = raw ? first_line_directive(raw) : 0;
  if (line) report(s, "#line", line_directive_why, &(screen_place){path, line, NULL});
  free(raw);
}

/* A line marker, `# 12 "path" 1 3`: sets *file (octal and backslash escapes
 * undone) and *line, and returns 1; 0 if the line is no marker. */
static int parse_marker(const char *p, const char *end, char **file, int *line) {
  if (end - p < 4 || p[0] != '#' || p[1] != ' ' || !isdigit((unsigned char)p[2])) return 0;
  char *after;
  long n = strtol(p + 2, &after, 10);
  if (after + 1 >= end || after[0] != ' ' || after[1] != '"') return 0;
  char *name = rl_xmalloc((size_t)(end - after)), *w = name;
  for (p = after + 2; p < end && *p != '"'; p++) {
    if (*p != '\\' || p + 1 >= end) {
      *w++ = *p;
    } else if (p[1] >= '0' && p[1] <= '7') {
      int c = 0;
      for (int k = 0; k < 3 && p + 1 < end && p[1] >= '0' && p[1] <= '7'; k++) c = c * 8 + (*++p - '0');
      *w++ = (char)c;
    } else {
      *w++ = *++p;
    }
  }
  *w = '\0';
  free(*file);
  *file = name;
  *line = (int)n;
  return 1;
}

/* An own `#define NAME body` (cc -dD keeps them): a reserved NAME (`__x`,
 * `_X`) may only be a feature-test macro or an include guard, so with an
 * empty or numeric body. */
static void check_define(screen_state *s, const char *p, const char *end, const screen_place *at) {
  if (end - p < 8 || strncmp(p, "#define ", 8) != 0) return;
  const char *name = p + 8, *q = name;
  while (q < end && is_name_char(*q)) q++;
  if (name[0] != '_' || !(name[1] == '_' || isupper((unsigned char)name[1]))) return;
  const char *body = q;
  if (body < end && *body == '(') body = memchr(body, ')', (size_t)(end - body));
  body = body ? body + (*body == ')') : end;
  while (body < end && *body == ' ') body++;
  const char *tail = body;
  if (tail < end && isdigit((unsigned char)*tail))
    while (tail < end && is_name_char(*tail)) tail++;
  while (tail < end && *tail == ' ') tail++;
  if (tail == end && (body == end || isdigit((unsigned char)*body))) return;
  char *word = rl_xstrndup(name, (size_t)(q - name));
  char *what = rl_xasprintf("#define %s", word);
  report(s, what, reserved_define_why, at);
  free(what), free(word);
}

void rl_screen_text(const char *text, const char *const *own_dirs, rl_findings *out) {
  screen_state s = {.own_dirs = own_dirs, .out = out};
  char *file = rl_xstrdup(""), *marked = rl_xstrdup(""), *own = NULL;
  char *site = NULL; /* the own file of the last #include into system headers */
  int line = 1, site_line = 0;
  for (const char *p = text; *p;) {
    const char *end = strchrnul(p, '\n');
    int next_line = line;
    if (parse_marker(p, end, &file, &line)) {
      if (strcmp(file, marked) != 0) { /* markers mostly repeat the last file */
        char *next = own_path(&s, file);
        if (own && !next) { /* an #include leaves the own files at its line */
          free(site);
          site = own, site_line = next_line;
        } else {
          free(own);
        }
        own = next;
        free(marked);
        marked = rl_xstrdup(file);
        if (own) read_own_file(&s, own);
      }
    } else {
      screen_place at = own ? (screen_place){own, line, NULL} : (screen_place){site, site_line, file};
      if (own || (site && file[0] != '<')) scan_line(&s, p, end, &at); /* not <built-in> */
      if (own) check_define(&s, p, end, &at);
      line++;
    }
    p = *end ? end + 1 : end;
  }
  free(file), free(marked), free(own), free(site);
  rl_free_strv(s.files_read);
}

int rl_screen(const rl_target *t, const rl_sandbox *sandbox, rl_findings *out, char *err, size_t errcap) {
  /* The own folders, canonical: the program's working folder and every
   * source's. */
  char **own_dirs = rl_xcalloc(t->nsources + 2, sizeof *own_dirs);
  size_t n = 0;
  for (size_t i = 0; i <= t->nsources; i++) {
    char *dir = i == 0 ? rl_xstrdup(t->run_dir)
                       : rl_xstrndup(t->sources[i - 1], (size_t)(rl_path_basename(t->sources[i - 1]) - t->sources[i - 1]));
    if ((own_dirs[n] = realpath(dir, NULL))) n++;
    free(dir);
  }
  int rc = 0;
  for (size_t i = 0; i < t->nsources && rc == 0; i++) {
    char *text;
    rc = rl_build_preprocess(t, RL_BUILD_TSAN, t->sources[i], sandbox, &text, err, errcap);
    if (rc == 0) rl_screen_text(text, (const char *const *)own_dirs, out);
    free(text);
  }
  rl_free_strv(own_dirs);
  return rc;
}
