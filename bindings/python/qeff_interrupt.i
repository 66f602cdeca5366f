/*
 * Ctrl-C during a long C call of the main thread (included by qeff_lang.i;
 * used by qeff/_interrupt.py, docs/python.md "Ctrl-C").
 *
 * The call runs in the main thread with the GIL released, so Python's SIGINT
 * handler (KeyboardInterrupt) cannot run before it returns. While such a call
 * is armed, SIGINT goes first to qeff_py_int_handler: it notes the signal,
 * wakes a watcher thread (sem_post is async-signal-safe; the qeff calls are
 * not) and chains to the handler it replaced, Python's, which marks the signal
 * pending as usual. The watcher requests the call's cancellation token, the
 * call stops at its next cancellation point with QEFF_E_CANCELLED, and
 * qeff_py_check_signals then runs Python's handler, which raises the
 * KeyboardInterrupt. The call itself stays in the calling thread: nothing is
 * handed to another thread (that costs a few percent on a 0.1 ms embedding)
 * and the handler stays installed between calls (it only chains then): a call
 * makes no system call. The watcher puts the handler back while calls run
 * when Python has replaced it (signal.signal).
 *
 *  qeff_py_interrupt_arm(options) attaches the binding's token to `options`
 *                                 (reset; it replaces a token set there) and
 *                                 routes SIGINT to it until disarm; 0 (nothing
 *                                 armed or attached) when a call is armed
 *                                 already, when SIGINT had no handler to chain
 *                                 to (SIG_DFL, SIG_IGN) at the first arm, or
 *                                 when the watcher thread cannot start.
 *  qeff_py_interrupt_token()      the armed call's token (NULL when none), for
 *                                 a caller's token to forward its requests to.
 *  qeff_py_interrupt_disarm()     ends the call; 1 when a SIGINT came while armed.
 *  qeff_py_check_signals()        PyErr_CheckSignals: runs the pending Python
 *                                 signal handlers now (raising what they raise).
 *
 * Main thread only (qeff/_interrupt.py checks); none releases the GIL.
 */

%{
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>

#define QEFF_PY_INT_TICK_NS 20000000L /* the watcher's look at the handler while a call runs */

static pthread_mutex_t qeff_py_int_lock = PTHREAD_MUTEX_INITIALIZER;
/* Under the lock: */
static qeff_cancel *qeff_py_int_token; /* the armed call's token */
static int qeff_py_int_recent;         /* a call was armed since the watcher last looked */
static int qeff_py_int_idle;           /* the watcher sleeps until the next arm posts */
/* The main thread's: */
static int qeff_py_int_watching;       /* the watcher runs in this process */
static int qeff_py_int_installed;      /* the handler was installed once */
static sem_t qeff_py_int_wake;         /* posted by the handler (and by an arm to end idling) */
static struct sigaction qeff_py_int_previous; /* the handler ours chains to */
/* Read by the handler, which may run in any thread at any time. Each arm
 * starts a new generation; the watcher only cancels the generation the
 * signal hit (a late wake-up must not cancel the next call). */
static volatile sig_atomic_t qeff_py_int_armed, qeff_py_int_fired, qeff_py_int_generation, qeff_py_int_hit;

static void qeff_py_int_handler(int sig, siginfo_t *info, void *context) {
  int saved_errno = errno;
  if (qeff_py_int_armed) {
    qeff_py_int_hit = qeff_py_int_generation;
    qeff_py_int_fired = 1;
    sem_post(&qeff_py_int_wake);
  }
  if (qeff_py_int_previous.sa_flags & SA_SIGINFO)
    qeff_py_int_previous.sa_sigaction(sig, info, context);
  else if (qeff_py_int_previous.sa_handler != SIG_DFL && qeff_py_int_previous.sa_handler != SIG_IGN)
    qeff_py_int_previous.sa_handler(sig);
  errno = saved_errno;
}

/* Install the handler unless it is there. It stays between calls (unarmed,
 * it only chains), so a call needs no system call. 0 when SIGINT has no
 * handler to chain to: SIG_DFL ends the process and SIG_IGN drops the
 * signal, as they should. */
static int qeff_py_int_install(void) {
  struct sigaction ours, current;
  if (sigaction(SIGINT, NULL, &current) != 0) return 0;
  if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == qeff_py_int_handler) return 1;
  if (!(current.sa_flags & SA_SIGINFO) && (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN)) return 0;
  qeff_py_int_previous = current; /* before ours can run */
  memset(&ours, 0, sizeof ours);
  sigemptyset(&ours.sa_mask);
  ours.sa_sigaction = qeff_py_int_handler;
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK; /* no SA_RESTART, as Python's own handler */
  return sigaction(SIGINT, &ours, NULL) == 0;
}

/* The watcher: requests the armed call's token when the handler posts. While
 * calls are being made it also looks every tick whether Python has put its
 * own handler back (signal.signal, e.g. Jupyter around each cell) and
 * installs this one again (so a call of the main thread needs no system
 * call); without calls it sleeps until the next arm. */
static void *qeff_py_int_watch(void *unused) {
  int idle = 0, armed;
  struct timespec until;
  (void)unused;
  for (;;) {
    if (idle) {
      while (sem_wait(&qeff_py_int_wake) != 0) continue; /* EINTR */
    } else {
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_nsec += QEFF_PY_INT_TICK_NS;
      if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000L;
      }
      sem_timedwait(&qeff_py_int_wake, &until); /* posted, timed out or interrupted: look */
    }
    pthread_mutex_lock(&qeff_py_int_lock);
    if (qeff_py_int_token && qeff_py_int_hit == qeff_py_int_generation) qeff_cancel_request(qeff_py_int_token);
    armed = qeff_py_int_armed;
    idle = qeff_py_int_idle = !armed && !qeff_py_int_recent;
    qeff_py_int_recent = 0;
    pthread_mutex_unlock(&qeff_py_int_lock);
    if (armed) qeff_py_int_install();
  }
  return NULL;
}

/* fork(): the child has no watcher and no armed call; the lock is held across
 * the fork so that the child's copy is never left locked. */
static void qeff_py_int_before_fork(void) { pthread_mutex_lock(&qeff_py_int_lock); }
static void qeff_py_int_after_fork_parent(void) { pthread_mutex_unlock(&qeff_py_int_lock); }
static void qeff_py_int_after_fork_child(void) {
  qeff_py_int_watching = 0;
  qeff_py_int_armed = 0;
  qeff_py_int_token = NULL;
  qeff_py_int_idle = 0;
  pthread_mutex_unlock(&qeff_py_int_lock);
}

/* Start the watcher once per process, with every signal blocked in it. */
static int qeff_py_int_start(void) {
  static int fork_handlers;
  sigset_t all, old;
  pthread_t thread;
  int rc;
  if (qeff_py_int_watching) return 1;
  if (sem_init(&qeff_py_int_wake, 0, 0) != 0) return 0;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  rc = pthread_create(&thread, NULL, qeff_py_int_watch, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    sem_destroy(&qeff_py_int_wake);
    return 0;
  }
  pthread_detach(thread);
  if (!fork_handlers && pthread_atfork(qeff_py_int_before_fork, qeff_py_int_after_fork_parent,
                                       qeff_py_int_after_fork_child) == 0)
    fork_handlers = 1;
  qeff_py_int_watching = 1;
  return 1;
}

static int qeff_py_interrupt_arm(qeff_options *options) {
  static qeff_cancel *token; /* one for every armed call (one at a time); never freed */
  int wake;
  if (qeff_py_int_armed || options == NULL) return 0;
  if (token == NULL && qeff_cancel_create(&token) != QEFF_OK) return 0;
  if (!qeff_py_int_installed && !(qeff_py_int_installed = qeff_py_int_install())) return 0;
  if (!qeff_py_int_start()) return 0;
  if (qeff_cancel_reset(token) != QEFF_OK || qeff_options_set_cancel(options, token) != QEFF_OK) return 0;
  pthread_mutex_lock(&qeff_py_int_lock);
  qeff_py_int_token = token;
  qeff_py_int_generation = qeff_py_int_generation + 1;
  qeff_py_int_fired = 0;
  qeff_py_int_armed = 1;
  qeff_py_int_recent = 1;
  wake = qeff_py_int_idle;
  qeff_py_int_idle = 0;
  pthread_mutex_unlock(&qeff_py_int_lock);
  if (wake) sem_post(&qeff_py_int_wake);
  return 1;
}

static qeff_cancel *qeff_py_interrupt_token(void) { return qeff_py_int_armed ? qeff_py_int_token : NULL; }

static int qeff_py_interrupt_disarm(void) {
  if (!qeff_py_int_armed) return 0;
  pthread_mutex_lock(&qeff_py_int_lock);
  qeff_py_int_armed = 0;
  qeff_py_int_token = NULL;
  pthread_mutex_unlock(&qeff_py_int_lock);
  return qeff_py_int_fired ? 1 : 0;
}

static PyObject *qeff_py_check_signals(void) {
  if (PyErr_CheckSignals() != 0) return NULL;
  Py_RETURN_NONE;
}
%}

/* Quick and GIL-holding (PyErr_CheckSignals needs it): no GIL release. */
%nothread qeff_py_interrupt_arm;
%nothread qeff_py_interrupt_token;
%nothread qeff_py_interrupt_disarm;
%nothread qeff_py_check_signals;
int qeff_py_interrupt_arm(qeff_options *options);
qeff_cancel *qeff_py_interrupt_token(void);
int qeff_py_interrupt_disarm(void);
PyObject *qeff_py_check_signals(void);
