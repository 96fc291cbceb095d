/*
 * Waiting, and the process attributes Node cannot set: subreaper,
 * parent-death signal, the terminal's foreground group.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "addon.h"

static napi_value exit_record(napi_env env, pid_t pid, int code, int signo) {
  napi_value result, null_v;
  napi_get_null(env, &null_v);
  napi_create_object(env, &result);
  set_named(env, result, "pid", make_int(env, pid));
  set_named(env, result, "code", signo ? null_v : make_int(env, code));
  set_named(env, result, "signal", signo ? make_int(env, signo) : null_v);
  return result;
}

/*
 * peekExited() → { pid, code, signal } of one exited child, without reaping it
 * (WNOWAIT), so the caller can leave a child that libuv owns to libuv;
 * null when children exist but none has exited; false when there are none.
 */
napi_value peek_exited(napi_env env, napi_callback_info info) {
  (void)info;
  siginfo_t si;
  si.si_pid = 0;
  if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
    napi_value false_v;
    if (errno != ECHILD) return throw_errno(env, errno, "waitid");
    napi_get_boolean(env, false, &false_v);
    return false_v;
  }
  if (si.si_pid == 0) {
    napi_value null_v;
    napi_get_null(env, &null_v);
    return null_v;
  }
  bool killed = si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED;
  return exit_record(env, si.si_pid, killed ? 0 : si.si_status, killed ? si.si_status : 0);
}

/* reap(pid) → { pid, code, signal }, or null if it has not exited. Throws ECHILD. */
napi_value reap_pid(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (!get_int_arg(env, info, "pid", &pid)) return NULL;
  if (pid <= 0) return throw_type(env, "pid must be positive");
  int status;
  pid_t got;
  do got = waitpid(pid, &status, WNOHANG);
  while (got < 0 && errno == EINTR);
  if (got < 0) return throw_errno(env, errno, "waitpid");
  if (got == 0) {
    napi_value null_v;
    napi_get_null(env, &null_v);
    return null_v;
  }
  if (WIFSIGNALED(status)) return exit_record(env, got, 0, WTERMSIG(status));
  return exit_record(env, got, WEXITSTATUS(status), 0);
}

napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return throw_errno(env, errno, "prctl");
  return NULL;
}

/* setParentDeathSignal(signo): hotinit itself gets signo when its parent dies. */
napi_value set_parent_death_signal(napi_env env, napi_callback_info info) {
  int32_t signo;
  if (!get_int_arg(env, info, "signo", &signo)) return NULL;
  if (prctl(PR_SET_PDEATHSIG, signo, 0, 0, 0) < 0) return throw_errno(env, errno, "prctl");
  return NULL;
}

/*
 * takeTerminal(fd): make hotinit's own process group the foreground group of
 * the terminal on fd again (after the child that held it exited). SIGTTOU is
 * among the held signals, so the call is not stopped while in the background.
 */
napi_value take_terminal(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!get_int_arg(env, info, "fd", &fd)) return NULL;
  sigset_t ttou, saved;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  real_sigmask(SIG_BLOCK, &ttou, &saved);
  int result = tcsetpgrp(fd, getpgrp());
  int err = errno;
  real_sigmask(SIG_SETMASK, &saved, NULL);
  if (result < 0) return throw_errno(env, err, "tcsetpgrp");
  return NULL;
}

/*
 * isTerminal(fd): isatty(3). node:tty answers the same, but loading it (it
 * loads node:net) costs about 1.5 ms before the first generation starts.
 */
napi_value is_terminal(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!get_int_arg(env, info, "fd", &fd)) return NULL;
  napi_value result;
  napi_get_boolean(env, isatty(fd) == 1, &result);
  return result;
}

/* peerCredentials(fd) → { pid, uid, gid } of the other end of a Unix socket (SO_PEERCRED). */
napi_value peer_credentials(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!get_int_arg(env, info, "fd", &fd)) return NULL;
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return throw_errno(env, errno, "getsockopt");
  napi_value result;
  napi_create_object(env, &result);
  set_named(env, result, "pid", make_int(env, cred.pid));
  set_named(env, result, "uid", make_int(env, cred.uid));
  set_named(env, result, "gid", make_int(env, cred.gid));
  return result;
}
