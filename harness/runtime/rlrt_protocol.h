/* rlrt_protocol.h -- the contract between racelab's runtime (rlrt, linked
 * into every program under test) and the harness that builds, runs and reads
 * it: link line, environment, dump signal and the event-log grammar. It
 * holds no code; both sides include it so the names cannot drift.
 *
 * LINK. The harness links every program as
 *   cc <sanitizer flags> -g -O1 -fno-omit-frame-pointer <sources>
 *      <librlrt.a> @harness/runtime/wrap.rsp -lunwind -luv -lpthread
 * wrap.rsp redirects the pthread/semaphore/sleep/fork/free/realloc calls (and, in
 * TSan builds, TSan's memory-access hooks) to the runtime with -Wl,--wrap,
 * and forces the runtime's constructors in with -Wl,--undefined. Calls
 * libuv or libc make internally are not wrapped (--wrap only rewrites the program's own
 * references). The runtime itself no longer needs -lunwind (stacks are
 * frame-pointer walks, see rlrt_stack.c); it stays harmless on the line.
 * -fno-omit-frame-pointer is required: without it stacks are cut short.
 * Not needed: -finstrument-functions (jitter at function entry was
 * measured and gave nothing the access hooks do not; it was removed).
 *
 * MODES (per thread, decisions from a PRNG seeded by RLRT_SEED and the
 * thread's creation index, so a seed replays the same decisions; the OS
 * still schedules, so a replay repeats the perturbation, not the timing):
 *   off     bookkeeping only (lock-order edges, waits, the dump).
 *   random  at sync points a yield or a 1-60 us sleep, about one point in 8
 *           at first, thinning out logarithmically, at most 128 per thread;
 *           one thread start in 2 is delayed; TSan builds also sleep at
 *           memory accesses, densely at first, then logarithmically, at
 *           most 128 per thread: lock-free lost updates go from 0/30 to
 *           30/30 runs. Measured here (30 runs): a 2-lock
 *           inversion that rarely hangs hangs 20/20; 2-lock bugs certain.
 *           Up to 4 untimed condvar waits per thread (1 in 2) return at
 *           once without releasing the mutex, as a spurious wakeup: a wait
 *           not in a loop that re-checks its condition shows (cond-no-loop).
 *   pct     PCT with random thread priorities; sync point s of the run
 *           (over all threads) lowers its thread below every earlier
 *           priority with probability 1/max(s,4), at most 16 times, so
 *           short and long runs both get change points (about ln s):
 *           at a sync point a thread waits, at most 2 ms per point and
 *           100 ms per thread (so pct never deadlocks on its own), while a
 *           higher-priority thread is runnable. Finds ordering bugs random
 *           hides: a lost wakeup hangs 9-10/20 runs under TSan (random 0/20,
 *           whose access jitter slows the signalling thread).
 *
 * ENVIRONMENT (read once, by a constructor, before main):
 *   RLRT_SEED   unsigned 64-bit seed (decimal); default 0
 *   RLRT_MODE   off | random | pct; default off
 *   RLRT_LOG    path prefix: the event log goes to "<prefix>.<pid>"; a forked
 *               child opens its own "<prefix>.<childpid>"
 *   RLRT_TRACE  1: record every sync and libuv event in a ring file (TRACE)
 *   RLRT_FORKSERVER  <fd>: serve runs instead of running (FORK SERVER)
 * With RLRT_LOG unset and RLRT_MODE off (or unset) the runtime does nothing:
 * every wrapper is one predictable branch before the real call.
 *
 * FORK SERVER (rlrt_forkserver.c, harness/forkserver.c). With
 * RLRT_FORKSERVER=<fd> in its environment, fd being one end of an AF_UNIX
 * SOCK_SEQPACKET pair, the program serves runs instead of running: before
 * any other constructor of the runtime or the program, and only while it
 * has a single thread, it sends rlrt_fs_msg READY (or REFUSED, and exits
 * 1), then for each request it receives forks a child that becomes the run
 * and returns into the constructors and main. One request is one message:
 *   <report path>\0<NAME=value>\0<NAME=value>\0...
 * the sanitizer's report path prefix for __sanitizer_set_report_path ("" =
 * keep the server's log_path; other sanitizer options are the server's,
 * read once at its start) and the run's complete environment, with two
 * descriptors in SCM_RIGHTS: the run's stdout and stderr (stdin is the
 * server's). The child is put in its own process group, dies with the
 * server (PR_SET_PDEATHSIG), gets exactly that environment and then reads
 * RLRT_SEED, RLRT_MODE... as a fresh process would. The server answers
 * STARTED (or FAILED with an errno), then ENDED once it has reaped the
 * child. It is a subreaper: whatever the run leaves behind becomes its
 * child, so strays = 0 in ENDED means nothing of the run is alive. It
 * exits when the socket closes.
 *
 * HANG DUMP. On RLRT_DUMP_SIGNAL sent to the process (kill(pid, sig)), the
 * runtime appends a dump of every thread to the log and ends it with the line
 * "dump end". The handler is installed with libc's own __sigaction, behind
 * the sanitizers' back: TSan would otherwise defer the signal until the
 * receiving thread leaves its blocking call, which for a deadlocked
 * pthread_mutex_lock is never. The dump needs nothing from the blocked
 * threads: each one published what it waits on, with its stack, before
 * blocking. Verified with every thread blocked in pthread_mutex_lock under
 * plain, gcc/clang TSan and gcc/clang ASan builds. The harness sends the
 * signal, polls the log for "dump end" (a few ms), then kills the group.
 * The signal is SIGURG, ignored by default, so sending it to a program that
 * has no runtime is harmless.
 *
 * LOG GRAMMAR. One event per line, fields separated by single spaces, written
 * with one write(2) each (a line is never interleaved with another). Ids are
 * stable within one process: T<n> threads in creation order (the main thread
 * is T0), M<n> mutexes, R<n> rwlocks, C<n> condition variables, S<n>
 * semaphores, B<n> barriers, each numbered from 1 in order of first use.
 * A stack <ips> is a comma-separated list of hex return addresses, innermost
 * first, starting at the program frame that called the wrapped function
 * ("-" if empty). Lines:
 *
 *   rlrt v=1 pid=<dec> ppid=<dec> seed=<dec> mode=<off|random|pct>
 *   module base=<hex> lo=<hex> hi=<hex> path=<path to end of line>
 *       base is the load bias; [lo,hi) the mapped address range; offset of
 *       an ip in the module = ip - base. The first module is the program.
 *   thread T<n> parent=T<m> s=<ips>            T<n> created at s
 *   edge <A> <B> T<n> s1=<ips> s2=<ips>
 *       lock-order edge, logged the first time it is seen: T<n> took lock B
 *       (at s2) while holding lock A (taken at s1)
 *   nowaiter C<n> T<n> held=<locks|-> s=<ips>
 *       a signal/broadcast on C<n> that found no waiter (first one per
 *       condvar), with the locks T<n> held (comma-separated ids): the raw
 *       material of a lost-wakeup explanation
 *   misuse unlock-unheld <M> T<n> owner=<T<m>|-> s=<ips>
 *   misuse destroy-locked <M> T<n> owner=T<m> s=<ips>
 *   misuse cond-unheld C<n> <M> T<n> s=<ips>     wait without holding M
 *   misuse cond-two-mutexes C<n> <M1> <M2> T<n> s=<ips>
 *       C<n> was used with M1 before, now with M2
 *   misuse cond-no-loop C<n> <M> T<n> s=<ips>
 *       random mode returned the wait at s at once, as a spurious wakeup
 *       (POSIX allows them; the mutex was never released, so the condition
 *       could not change), and T<n> unlocked M instead of waiting again:
 *       the wait is not in a loop that re-checks its condition
 *   libuv (rlrt_uv.c; its own numbering: R<n> requests, H<n> handles,
 *   L<n> loops, E<n> stops, each from 1):
 *   uvreq R<n> <call> T<n> s=<ips>      a request started with a callback
 *       (<call>: uv_queue_work, uv_fs_open, uv_write...), at s
 *   uvdone R<n>                         its callback is about to run
 *   uvhandle H<n> <type> T<n> s=<ips>   a handle initialized (<type>:
 *       timer, async, tcp, pipe, udp, tty, idle, prepare, check, signal,
 *       poll, fs_event, process)
 *   uvclosed H<n>                       its close callback is about to run
 *   uvstop E<n> <run|close|exit> <L<n>|-> T<n> rc=<dec> s=<ips>
 *       uv_run(UV_RUN_DEFAULT) returned, uv_loop_close returned rc (always
 *       logged; -16 is UV_EBUSY), or the program exits (L -, s -); run and
 *       exit are logged only with something outstanding, listed next:
 *   uvpending R<n> E<n> ran=<0|1>       not completed at stop E<n>; ran=1
 *       if uv_run ran on its loop after it was started
 *   uvopen H<n> E<n> <open|closing>     not closed at stop E<n> (closing:
 *       uv_close called, its callback not run yet); close and exit only
 *   uvmisuse <call> L<n> T<n> loop=T<m> s=<ips>
 *       T<n> called <call> on L<n> while T<m> was inside uv_run on it
 *   uvfree H<n> T<n> s1=<ips> s2=<ips>
 *       T<n> frees (at s2) a heap block holding H<n>, whose uv_close (at
 *       s1) has not called back yet: libuv still uses the handle
 *   uvgone H<n> T<n> <moved|freed> s=<ips>
 *       before H<n>'s close callback ran, T<n> moved the heap block holding
 *       it to a new address with realloc() or reallocarray() (at s), or
 *       freed it: with a resize to 0 bytes (H<n> closing or not), or with
 *       free() (H<n> anywhere in the block, never passed to uv_close():
 *       uvfree tells a closing one). libuv still points at the old address
 *   (written from the sanitizer's report hook, __asan_on_error or
 *   __tsan_on_report, just before it prints the report it is about; ASan
 *   prints only one, TSan goes on)
 *   uvearly R<n>                        ASan only: the report is a
 *       use-after-poison in R<n>'s result fields, read before its callback
 *       ran (the runtime poisons a pending uv_fs_t's result, ptr, statbuf)
 *   uvlate H<n> s=<ips>                 the report is a heap-use-after-free
 *       in a block freed while H<n>'s close (uv_close at s) was pending
 *   lifetimes (rlrt_unjoined.c, rlrt_proc.c; P<n> numbers the children a
 *   process forks, from 1; the "unjoined" and "unwaited" lines are written
 *   at exit(), never after _exit() or a signal):
 *   unjoined T<n> parent=T<m> state=<running|exited> s=<ips>
 *       T<n>, created joinable by T<m> at s, was neither joined nor
 *       detached: still running (its work is cut off) or exited (its
 *       result is lost). The thread calling exit() is not listed
 *   joinfailed T<n> T<m> parent=T<p> rc=<dec> s1=<ips> s2=<ips>
 *       T<n> joins (at s2) the pthread_t that T<p>'s pthread_create of
 *       T<m> (at s1) failed to set: it returned rc, unchecked
 *   fork P<n> pid=<dec> T<n> s=<ips>    T<n> forked child P<n> at s
 *   waited P<n>                         wait()/waitpid() reaped it
 *   unwaited P<n> pid=<dec> T<n> state=<running|exited> s=<ips>
 *       P<n>, forked by T<n> at s, was never waited for: exited (a zombie)
 *       or still running (an orphan from now on)
 *   exit T<n> n=<dec> h=<hex>
 *       the thread ends; n jitter decisions were drawn, h hashes them: the
 *       same seed and mode give the same n and h per thread
 *   dump begin
 *   dthread T<n> state=<state> [obj=<id>] [mutex=<M>] s=<ips>
 *       state: running | mutex | rdlock | wrlock | cond | join | sem |
 *       barrier | once | sleep | uv_run | exited | gone (did not survive a
 *       fork). obj is what it waits on (a lock, condvar, semaphore, or the
 *       joined T<m>); mutex is a condvar wait's mutex; s the waiting stack
 *   dheld T<n> <lock> mode=<w|r> s=<ips>     a lock T<n> holds, taken at s
 *   dump end
 * Unknown line kinds must be skipped by readers (forward compatibility).
 *
 * TRACE. With RLRT_TRACE=1 and RLRT_LOG set, every process also keeps
 * "<prefix>-trace.<pid>" (not "<prefix>.": log readers never see it), a
 * file mapped MAP_SHARED so that it survives a crash or a SIGKILL: one
 * rlrt_trace_header, then a ring of cap rlrt_trace_record (native byte
 * order). Record seq s (from 1) lives in slot (s-1) % cap; a writer zeroes
 * seq, fills the record, then publishes seq, so seq 0 is a slot never
 * written or caught mid-write. Only the latest cap events survive. Times
 * are CLOCK_MONOTONIC ns since start (header). ip is the program's call
 * site, a return address, except for start (the thread's start routine)
 * and callback (the user's callback): function addresses; 0 if none. The
 * modules are those of the log "<prefix>.<pid>". Events (arg, name):
 *   wait, woken   a blocking call begins / returns on obj (a lock, condvar,
 *                 semaphore, barrier, or the joined thread); name: the wait
 *                 state of the dump (mutex, cond, join...)
 *   acquired      obj locked (arg 1 write, 0 read); unlock: released
 *   signal, broadcast  on condvar obj; arg: threads waiting on it then
 *   create (obj: the new thread), start, exit
 *   delay         injected by jitter: arg ns (0: a yield); name random|pct
 *   request       a libuv request R<obj> started; name: the call
 *   callback      its callback is about to run
 */
#ifndef RLRT_PROTOCOL_H
#define RLRT_PROTOCOL_H

#include <signal.h>
#include <stdint.h>

#define RLRT_PROTOCOL_VERSION 1
#define RLRT_DUMP_SIGNAL SIGURG
#define RLRT_ENV_SEED "RLRT_SEED"
#define RLRT_ENV_MODE "RLRT_MODE"
#define RLRT_ENV_LOG "RLRT_LOG"
#define RLRT_ENV_TRACE "RLRT_TRACE"
#define RLRT_ENV_FORKSERVER "RLRT_FORKSERVER"
#define RLRT_DUMP_END_LINE "dump end"

/* FORK SERVER messages, server to harness. */
enum { RLRT_FS_READY = 1, RLRT_FS_REFUSED, RLRT_FS_STARTED, RLRT_FS_FAILED, RLRT_FS_ENDED };
/* The largest request: report path and environment. */
#define RLRT_FS_REQUEST_MAX 65536

typedef struct {
  int32_t kind;   /* RLRT_FS_* */
  int32_t pid;    /* READY: the server; STARTED, ENDED: the run's process */
  int32_t status; /* ENDED: the wait status; REFUSED, FAILED: an errno */
  int32_t strays; /* ENDED: processes of the run still alive (0 or 1) */
  int64_t cpu_us; /* ENDED: user + system time of the run's main process
                     and of the children it waited for */
} rlrt_fs_msg;

#define RLRT_TRACE_MAGIC "RLRTTRC1"
#define RLRT_TRACE_CAP 65536 /* records in a ring */

/* XX(enum suffix, name): event codes from 1, in this order. */
#define RLRT_TRACE_EVENT_MAP(XX)                                               \
  XX(WAIT, "wait") XX(WOKEN, "woken") XX(ACQUIRED, "acquired")                 \
  XX(RELEASED, "unlock") XX(SIGNAL, "signal") XX(BROADCAST, "broadcast")       \
  XX(CREATE, "create") XX(START, "start") XX(EXIT, "exit")                     \
  XX(DELAY, "delay") XX(REQ_START, "request") XX(REQ_DONE, "callback")

enum {
  RLRT_TEV_NONE,
#define XX(e, name) RLRT_TEV_##e,
  RLRT_TRACE_EVENT_MAP(XX)
#undef XX
  RLRT_TEV_COUNT
};

/* What a record's obj numbers; its id prefix in parentheses. */
enum {
  RLRT_TOBJ_NONE,
  RLRT_TOBJ_MUTEX,   /* M */
  RLRT_TOBJ_RWLOCK,  /* R */
  RLRT_TOBJ_COND,    /* C */
  RLRT_TOBJ_SEM,     /* S */
  RLRT_TOBJ_BARRIER, /* B */
  RLRT_TOBJ_THREAD,  /* T */
  RLRT_TOBJ_UVREQ    /* R, libuv's own numbering */
};

typedef struct {
  char magic[8];      /* RLRT_TRACE_MAGIC, no NUL */
  uint32_t rec_size;  /* sizeof(rlrt_trace_record) */
  uint32_t cap;       /* records in the ring */
  uint64_t next;      /* records ever written (the last seq) */
  uint64_t start_ns;  /* CLOCK_MONOTONIC at start */
  uint32_t pid;
  char reserved[28];
} rlrt_trace_header;  /* 64 bytes */

typedef struct {
  uint64_t seq;       /* 1..; 0: empty or being written */
  uint64_t ns;        /* since header.start_ns */
  uint64_t ip;
  uint64_t arg;
  uint32_t thread;    /* T<thread> */
  uint32_t obj;       /* id, kind given by obj_kind; 0 none */
  uint8_t event;      /* RLRT_TEV_* */
  uint8_t obj_kind;   /* RLRT_TOBJ_* */
  char name[22];      /* NUL-terminated */
} rlrt_trace_record;  /* 64 bytes */

#endif
