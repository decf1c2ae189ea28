/* audit.c -- an HTTP handler that audits requests in the background.
 *
 * The story: compliance wants every request to the admin API recorded by
 * the audit service. The audit service is slow, so the handler starts a
 * background thread for each audit record and answers the client right
 * away; the server joins the audit threads at the end of each batch. Since
 * then, the audit trail contains the odd garbled path, or the path of a
 * different request, and once a week the server dies with a segfault in
 * the audit code.
 *
 * Usage: audit
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NREQUESTS 4

struct request {
  int id;
  char user[16];
  char path[64];
};

/* The audit trail, one line per request, written by its audit thread and
 * read by the server only after joining that thread. */
static char trail[NREQUESTS][128];
static pthread_t auditors[NREQUESTS];

/* racelab: your work is here -------------------------------------------- */

/* The background audit: a slow round trip to the audit service, then the
 * record. */
static void *audit_request(void *arg) {
  struct request *req = arg;
  struct timespec rtt = {0, 2000000}; /* 2 ms */
  nanosleep(&rtt, NULL);
  snprintf(trail[req->id], sizeof trail[req->id], "audit: %s requested %s",
           req->user, req->path);
  return NULL;
}

/* Handle one request: answer the client, audit in the background. */
static void handle(int id, const char *user, const char *path) {
  struct request *req = malloc(sizeof *req);
  if (req == NULL)
    return;
  req->id = id;
  snprintf(req->user, sizeof req->user, "%s", user);
  snprintf(req->path, sizeof req->path, "%s", path);

  printf("200 OK %s\n", req->path);
  if (pthread_create(&auditors[id], NULL, audit_request, req) != 0)
    fprintf(stderr, "audit: cannot audit request %d\n", id);
  free(req); /* the response is sent: we are done with the request */
}

/* racelab: end of your work --------------------------------------------- */

int main(void) {
  static const char *users[NREQUESTS] = {"root", "maria", "ops-bot", "kenji"};
  static const char *paths[NREQUESTS] = {"/admin/users", "/admin/billing",
                                         "/admin/deploy", "/admin/keys"};
  for (int i = 0; i < NREQUESTS; i++) {
    handle(i, users[i], paths[i]);
    struct timespec gap = {0, 5000000}; /* the next request arrives 5 ms later */
    nanosleep(&gap, NULL);
  }
  /* End of the batch: wait for the audit records. */
  for (int i = 0; i < NREQUESTS; i++)
    pthread_join(auditors[i], NULL);
  for (int i = 0; i < NREQUESTS; i++)
    puts(trail[i]);
  return 0;
}
