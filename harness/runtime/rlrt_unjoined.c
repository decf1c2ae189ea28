/* rlrt_unjoined.c -- the joins a process owes: which threads were created
 * joinable and whether they were joined or detached since, and, when the
 * process exits, one "unjoined" line for each thread still owed a join,
 * with where it was created. Also a join of what a failed pthread_create()
 * left in its pthread_t ("joinfailed"): the failure went unchecked. It
 * does not decide that these are bugs (the harness does), and a process
 * ended by _exit() or a signal logs no "unjoined" line.
 */
#include <pthread.h>
#include <stdlib.h>

#include "rlrt_internal.h"

/* Per thread slot (the index of rlrt__threads). Two flags rather than one
 * state: a thread may detach itself before its creator's pthread_create()
 * has returned. */
static _Atomic unsigned char joinable[RLRT_MAX_THREADS]; /* created so */
static _Atomic unsigned char settled[RLRT_MAX_THREADS];  /* joined, detached */
static int parent[RLRT_MAX_THREADS];                     /* T<n> creator */
static rlrt_stack created_at[RLRT_MAX_THREADS];
/* A failed create leaves the program's pthread_t as it was: that value,
 * and the error (0: the create did not fail). */
static unsigned long failed_value[RLRT_MAX_THREADS];
static _Atomic int failed_rc[RLRT_MAX_THREADS];

void rlrt__thread_created(const rlrt_thread *self, const rlrt_thread *t,
                          const pthread_t *th, const pthread_attr_t *attr,
                          int rc, const void *caller) {
  int detached = PTHREAD_CREATE_JOINABLE;
  if (!rlrt__cfg.log_prefix[0])
    return;
  /* Born settled: once it exits, its pthread_t may name a new thread. */
  if (rc == 0 && attr && pthread_attr_getdetachstate(attr, &detached) == 0 &&
      detached == PTHREAD_CREATE_DETACHED) {
    atomic_store(&settled[t->idx], 1);
    return;
  }
  parent[t->idx] = self->idx;
  rlrt__stack_capture(&created_at[t->idx], caller);
  if (rc == 0) {
    atomic_store(&joinable[t->idx], 1);
    return;
  }
  failed_value[t->idx] = th ? (unsigned long)*th : 0;
  atomic_store(&failed_rc[t->idx], rc);
}

/* Is slot i a thread the program started, not settled, known as pthread?
 * (Threads it did not create, such as libuv's pool, have no start routine
 * here: their values are reused unseen.) */
static int unsettled(int i, unsigned long pthread) {
  return rlrt__threads[i].start && rlrt__threads[i].pthread == pthread &&
         !atomic_load(&settled[i]);
}

void rlrt__thread_settled(unsigned long pthread, int rc) {
  if (rc != 0)
    return;
  /* A pthread_t is reused only once its thread is joined or detached, so
   * among the program's threads not settled yet the oldest with this value
   * is the one just settled, even if a new thread has taken the value
   * since. */
  int n = atomic_load(&rlrt__nthreads);
  for (int i = 0; i < n && i < RLRT_MAX_THREADS; i++)
    if (unsettled(i, pthread)) {
      atomic_store(&settled[i], 1);
      return;
    }
}

void rlrt__thread_joining(const rlrt_thread *self, unsigned long pthread,
                          const void *caller) {
  if (!rlrt__cfg.log_prefix[0])
    return;
  int n = atomic_load(&rlrt__nthreads), failed = -1;
  for (int i = 0; i < n && i < RLRT_MAX_THREADS; i++) {
    if (atomic_load(&failed_rc[i])) {
      if (failed < 0 && failed_value[i] == pthread)
        failed = i;
    } else if (unsettled(i, pthread)) {
      return; /* a thread that did start has this value */
    }
  }
  if (failed < 0)
    return;
  rlrt_stack st;
  rlrt__stack_capture(&st, caller);
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "joinfailed ");
  rlrt__put_tid(&l, self->idx);
  rlrt__put(&l, " ");
  rlrt__put_tid(&l, failed);
  rlrt__put(&l, " parent=");
  rlrt__put_tid(&l, parent[failed]);
  rlrt__put(&l, " rc=");
  rlrt__put_dec(&l, (uint64_t)atomic_load(&failed_rc[failed]));
  rlrt__put(&l, " s1=");
  rlrt__put_stack(&l, &created_at[failed]);
  rlrt__put(&l, " s2=");
  rlrt__put_stack(&l, &st);
  rlrt__emit(&l);
}

/* In a forked child the parent's threads are not its own to join (the
 * forking thread, the child's only one, cannot be joined by anyone). */
static void after_fork_child(void) {
  for (int i = 0; i < RLRT_MAX_THREADS; i++)
    atomic_store(&joinable[i], 0);
}

/* exit() may be called by any thread: that one is ending the process, not
 * owed a join. The others may still run; their state is read once. */
static void at_exit(void) {
  if (!rlrt__cfg.log_prefix[0])
    return;
  const rlrt_thread *self = rlrt__self();
  int n = atomic_load(&rlrt__nthreads);
  for (int i = 0; i < n && i < RLRT_MAX_THREADS; i++) {
    const rlrt_thread *t = &rlrt__threads[i];
    if (t == self || !atomic_load(&joinable[i]) || atomic_load(&settled[i]))
      continue;
    rlrt_line l = {.n = 0};
    rlrt__put(&l, "unjoined ");
    rlrt__put_tid(&l, i);
    rlrt__put(&l, " parent=");
    rlrt__put_tid(&l, parent[i]);
    rlrt__put(&l, atomic_load(&t->wait) == RLRT_WAIT_EXITED ? " state=exited"
                                                           : " state=running");
    rlrt__put(&l, " s=");
    rlrt__put_stack(&l, &created_at[i]);
    rlrt__emit(&l);
  }
}

/* After rlrt_init's constructor (102), which reads the configuration; its
 * atexit handler therefore runs after this one. */
__attribute__((constructor(103))) static void rlrt_unjoined_init(void) {
  if (!rlrt__cfg.on)
    return;
  atexit(at_exit);
  pthread_atfork(NULL, NULL, after_fork_child);
}
