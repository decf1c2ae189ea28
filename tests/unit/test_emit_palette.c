/* test_emit_palette.c -- the one decision on colour that every output
 * takes (the report, the trace, racelab list): colour on a terminal, plain
 * into a file, and plain on a terminal too when NO_COLOR is set and not
 * empty. The terminal is a pseudo-terminal the test opens; where the
 * machine has none, the terminal tests are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"

/* Every role of p has no escape sequence. */
static int plain(rl_palette p) {
  return !*p.bold && !*p.red && !*p.green && !*p.yellow && !*p.cyan && !*p.dim && !*p.reset;
}

/* Every role of p is an escape sequence. */
static int coloured(rl_palette p) {
  const char *roles[] = {p.bold, p.red, p.green, p.yellow, p.cyan, p.dim, p.reset};
  for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
    if (strncmp(roles[i], "\033[", 2) != 0)
      return 0;
  return 1;
}

typedef struct {
  int master;    /* what the terminal shows is read here */
  FILE *screen;  /* written to like stdout on a terminal */
} terminal;

static terminal open_terminal(void) {
  terminal t = {posix_openpt(O_RDWR | O_NOCTTY), NULL};
  if (t.master < 0 || grantpt(t.master) < 0 || unlockpt(t.master) < 0)
    skip();
  int fd = open(ptsname(t.master), O_RDWR | O_NOCTTY);
  assert_true(fd >= 0);
  t.screen = fdopen(fd, "w");
  assert_non_null(t.screen);
  return t;
}

/* What reached the terminal so far (NUL-terminated, at most size - 1). */
static void shown(terminal *t, char *buf, size_t size) {
  fflush(t->screen);
  size_t len = 0;
  struct pollfd p = {t->master, POLLIN, 0};
  while (len + 1 < size && poll(&p, 1, 200) == 1) {
    ssize_t n = read(t->master, buf + len, size - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
}

static void close_terminal(terminal *t) {
  fclose(t->screen);
  close(t->master);
}

static void plain_into_a_file(void **state) {
  (void)state;
  unsetenv("NO_COLOR");
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_true(plain(rl_emit_palette(f)));
  fclose(f);
}

static void colour_on_a_terminal(void **state) {
  (void)state;
  terminal t = open_terminal();
  unsetenv("NO_COLOR");
  assert_true(coloured(rl_emit_palette(t.screen)));
  assert_string_equal(rl_emit_palette(t.screen).reset, "\033[0m");
  /* Set but empty does not count (no-color.org). */
  setenv("NO_COLOR", "", 1);
  assert_true(coloured(rl_emit_palette(t.screen)));
  setenv("NO_COLOR", "1", 1);
  assert_true(plain(rl_emit_palette(t.screen)));
  unsetenv("NO_COLOR");
  close_terminal(&t);
}

/* The report takes its colours from the same place. */
static void report_follows_the_palette(void **state) {
  (void)state;
  terminal t = open_terminal();
  rl_check_result r = {.verdict = RL_VERDICT_ERROR, .error = "the compiler vanished"};
  rl_emit_ctx ctx = {.command = "check", .target_spec = "03", .result = &r};
  char buf[512];
  unsetenv("NO_COLOR");
  rl_emit_human(&ctx, t.screen);
  shown(&t, buf, sizeof buf);
  assert_non_null(strstr(buf, "\033[1m\033[31mracelab could not finish 03: the compiler vanished\033[0m"));
  setenv("NO_COLOR", "1", 1);
  rl_emit_human(&ctx, t.screen);
  shown(&t, buf, sizeof buf);
  assert_non_null(strstr(buf, "racelab could not finish 03: the compiler vanished"));
  assert_null(strchr(buf, '\033'));
  unsetenv("NO_COLOR");
  close_terminal(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(plain_into_a_file),
      cmocka_unit_test(colour_on_a_terminal),
      cmocka_unit_test(report_follows_the_palette),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
