/*
 * Signals: keep the held set blocked in every thread, read it from a signalfd.
 *
 * When the launcher preloads this library (LD_PRELOAD), pthread_sigmask and
 * sigprocmask below take the place of libc's for the whole process. Node's
 * start-up sets the main thread's mask (unblocking everything the launcher
 * blocked), its inspector unblocks SIGUSR1, libuv saves and restores masks:
 * each call goes through, except that a held signal is never unblocked. So no
 * thread ever takes a held signal, none is dropped by the kernel for having
 * the default disposition in PID 1, SIGUSR1 can never open the inspector, and
 * everything sent since the launcher's first instruction waits in the signalfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"
#include "held_signals.h"
#include "reader.h"

static uint64_t held_bits;
static int holding; /* 1 when started by the launcher with the signals blocked */
static pid_t holder_pid; /* only hotinit holds: a child forked by libuv (execa) runs
                          * this code until it execs and must get the mask it asks for */
static uint64_t inherited_blocked_bits;
static uint64_t inherited_ignored_bits;
#define MAX_INHERITED_FDS 128
static int inherited_fds[MAX_INHERITED_FDS]; /* open across exec when we started */
static int inherited_fd_count;

/* glibc's own signals (SIGCANCEL, SIGSETXID): never block them. */
static const uint64_t glibc_internal_bits = ((uint64_t)1 << 31) | ((uint64_t)1 << 32);

static uint64_t first_word(const sigset_t *set) {
  uint64_t bits;
  memcpy(&bits, set, sizeof bits);
  return bits;
}

static void set_first_word(sigset_t *set, uint64_t bits) {
  sigemptyset(set);
  memcpy(set, &bits, sizeof bits);
}

int real_sigmask(int how, const sigset_t *set, sigset_t *old) {
  if (old) sigemptyset(old);
  return (int)syscall(SYS_rt_sigprocmask, how, set, old, (size_t)8);
}

/* The mask change the caller asked for, except that held signals stay blocked. */
static int filtered_sigmask(int how, const sigset_t *set, sigset_t *old) {
  if (!set) return real_sigmask(how, NULL, old);
  uint64_t bits = first_word(set) & ~glibc_internal_bits;
  if (holding && getpid() == holder_pid) {
    if (how == SIG_UNBLOCK) bits &= ~held_bits;
    else if (how == SIG_SETMASK) bits |= held_bits;
  }
  sigset_t adjusted;
  set_first_word(&adjusted, bits);
  return real_sigmask(how, &adjusted, old);
}

__attribute__((visibility("default"))) int pthread_sigmask(int how, const sigset_t *set, sigset_t *old) {
  return filtered_sigmask(how, set, old) == 0 ? 0 : errno;
}

__attribute__((visibility("default"))) int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
  return filtered_sigmask(how, set, old);
}

/* Runs when the library is loaded: before Node's main() when preloaded. */
__attribute__((constructor)) static void take_launch_state(void) {
  sigset_t held;
  hotinit_fill_held(&held);
  held_bits = first_word(&held);

  const char *state = getenv("HOTINIT_LAUNCH_SIGNALS");
  if (state) {
    char *end = NULL;
    inherited_blocked_bits = strtoull(state, &end, 16);
    if (end && *end == ':') inherited_ignored_bits = strtoull(end + 1, NULL, 16);
    holding = 1;
    holder_pid = getpid();
    unsetenv("HOTINIT_LAUNCH_SIGNALS");
    /* Our preload is hotinit's alone: give the user's LD_PRELOAD back before
     * Node copies the environment, so no child ever loads this library. */
    const char *saved = getenv("HOTINIT_LAUNCH_LD_PRELOAD");
    if (saved) setenv("LD_PRELOAD", saved, 1);
    else unsetenv("LD_PRELOAD");
    unsetenv("HOTINIT_LAUNCH_LD_PRELOAD");
    const char *fds = getenv("HOTINIT_LAUNCH_FDS");
    for (const char *p = fds; p && *p && inherited_fd_count < MAX_INHERITED_FDS;) {
      char *end;
      long fd = strtol(p, &end, 10);
      if (end == p) break;
      inherited_fds[inherited_fd_count++] = (int)fd;
      p = *end == ',' ? end + 1 : end;
    }
    unsetenv("HOTINIT_LAUNCH_FDS");
    /* One malloc arena for every thread: hotinit's few threads allocate
     * little, and a per-thread arena each costs resident memory in an
     * init that should cost as little as possible. Process-local: execve
     * resets it, so the application is not affected. */
    mallopt(M_ARENA_MAX, 1);
  }
}

int inherited_fd_list(const int **fds) {
  *fds = inherited_fds;
  return inherited_fd_count;
}

void inherited_signal_state(uint64_t *blocked, uint64_t *ignored) {
  *blocked = inherited_blocked_bits;
  *ignored = inherited_ignored_bits;
}

static napi_value bits_to_array(napi_env env, uint64_t bits) {
  napi_value array;
  napi_create_array(env, &array);
  uint32_t n = 0;
  for (int sig = 1; sig <= 64; sig++)
    if (bits & ((uint64_t)1 << (sig - 1))) napi_set_element(env, array, n++, make_int(env, sig));
  return array;
}

/* signalState() → { holding, held, inheritedBlocked, inheritedIgnored } (signal numbers). */
napi_value signal_state(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, flag;
  napi_create_object(env, &result);
  napi_get_boolean(env, holding, &flag);
  set_named(env, result, "holding", flag);
  set_named(env, result, "held", bits_to_array(env, held_bits));
  set_named(env, result, "inheritedBlocked", bits_to_array(env, inherited_blocked_bits));
  set_named(env, result, "inheritedIgnored", bits_to_array(env, inherited_ignored_bits));
  return result;
}

static void read_signals(reader_t *reader) {
  struct signalfd_siginfo si;
  for (;;) {
    ssize_t n = read(reader->fd, &si, sizeof si);
    if (n != (ssize_t)sizeof si) return; /* EAGAIN: drained */
    napi_value args[3];
    args[0] = make_int(reader->env, si.ssi_signo);
    args[1] = make_int(reader->env, si.ssi_pid);
    args[2] = make_int(reader->env, si.ssi_code);
    reader_call(reader, 3, args);
  }
}

/*
 * openSignalReader(callback(signo, senderPid, siCode)) → reader.
 * Without the launcher (a development run) it can only block the held set in
 * this thread: threads Node already started may still take some signals.
 */
napi_value open_signal_reader(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  sigset_t held;
  set_first_word(&held, held_bits);
  if (!holding) real_sigmask(SIG_BLOCK, &held, NULL);
  int fd = signalfd(-1, &held, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "signalfd");
  return reader_start(env, fd, argc > 0 ? argv[0] : NULL, read_signals, "hotinit.signals");
}
