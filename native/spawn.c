/*
 * spawn(): fork and exec a generation the way an init must, which Node's
 * child_process cannot: its own process group, the terminal's foreground group
 * when asked, fds laid out exactly, LISTEN_PID equal to the child's own pid
 * (known only after fork), and the signal state hotinit inherited restored.
 *
 * Between fork and exec the child runs only async-signal-safe code: every
 * string is prepared before fork, and all signals stay blocked until just
 * before execve so no handler of Node's can run in the child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "addon.h"

#define LISTEN_PID_PREFIX "LISTEN_PID="

typedef struct {
  char *file;
  char **argv;
  char **envp;
  char *cwd;
  int *fds; /* child fd i <- parent fd fds[i]; -1: closed in the child */
  uint32_t nfds;
  bool foreground;
  char *listen_pid_slot; /* "LISTEN_PID=" + room for digits, inside envp */
} spawn_request_t;

static void write_decimal(char *out, long n) {
  char digits[24];
  int len = 0;
  do {
    digits[len++] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0);
  while (len > 0) *out++ = digits[--len];
  *out = '\0';
}

static void child_fail(int error_pipe, int err) {
  ssize_t ignored = write(error_pipe, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

/* In the child, after fork. Never returns. */
static void exec_child(const spawn_request_t *req, int error_pipe) {
  uint64_t inherited_blocked, inherited_ignored;
  inherited_signal_state(&inherited_blocked, &inherited_ignored);

  /* Node's handlers must not survive in the child; inherited SIG_IGN must. */
  struct sigaction dfl = {.sa_handler = SIG_DFL}, ign = {.sa_handler = SIG_IGN};
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33) continue;
    bool was_ignored = inherited_ignored & ((uint64_t)1 << (sig - 1));
    sigaction(sig, was_ignored ? &ign : &dfl, NULL);
  }

  if (setpgid(0, 0) < 0) child_fail(error_pipe, errno);

  /* Lay out fds: first move every source above the target range so that
   * dup2 onto slot i never clobbers a source still needed for slot j > i. */
  int moved[256];
  uint32_t nfds = req->nfds < 256 ? req->nfds : 256;
  int floor_fd = (int)nfds + 1;
  if (floor_fd <= error_pipe) floor_fd = error_pipe + 1;
  for (uint32_t i = 0; i < nfds; i++) {
    moved[i] = -1;
    if (req->fds[i] < 0) continue;
    moved[i] = fcntl(req->fds[i], F_DUPFD_CLOEXEC, floor_fd);
    if (moved[i] < 0) child_fail(error_pipe, errno);
  }
  for (uint32_t i = 0; i < nfds; i++) {
    if (moved[i] < 0) {
      close((int)i);
      continue;
    }
    if (dup2(moved[i], (int)i) < 0) child_fail(error_pipe, errno);
  }

  /* fds the runtime gave hotinit pass on, as under tini, unless a slot took the number. */
  const int *inherited;
  int inherited_count = inherited_fd_list(&inherited);
  for (int i = 0; i < inherited_count; i++)
    if (inherited[i] >= (int)nfds && inherited[i] != error_pipe) fcntl(inherited[i], F_SETFD, 0);

  /* libuv may have set O_NONBLOCK on the terminal; programs expect blocking stdio. */
  for (int fd = 0; fd < 3 && fd < (int)nfds; fd++) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  }

  /* Signals are still blocked, so SIGTTOU cannot stop us here. Failure
   * (fd 0 is not our controlling terminal) is not fatal, as under tini. */
  if (req->foreground) tcsetpgrp(0, getpid());

  if (req->cwd && chdir(req->cwd) < 0) child_fail(error_pipe, errno);
  if (req->listen_pid_slot) write_decimal(req->listen_pid_slot + strlen(LISTEN_PID_PREFIX), (long)getpid());

  sigset_t mask;
  sigemptyset(&mask);
  memcpy(&mask, &inherited_blocked, sizeof inherited_blocked);
  real_sigmask(SIG_SETMASK, &mask, NULL);

  execve(req->file, req->argv, req->envp);
  child_fail(error_pipe, errno);
}

static bool read_request(napi_env env, napi_value opts, spawn_request_t *req) {
  napi_value v;
  bool has;
  memset(req, 0, sizeof *req);

  napi_get_named_property(env, opts, "file", &v);
  if (!(req->file = get_string(env, v, "file"))) return false;
  napi_get_named_property(env, opts, "argv", &v);
  if (!(req->argv = get_string_array(env, v, "argv", 0))) return false;

  bool listen_pid = false;
  napi_get_named_property(env, opts, "listenPid", &v);
  get_bool(env, v, &listen_pid);
  napi_get_named_property(env, opts, "env", &v);
  if (!(req->envp = get_string_array(env, v, "env", 1))) return false;
  if (listen_pid) {
    size_t n = 0;
    while (req->envp[n]) n++;
    req->listen_pid_slot = calloc(1, sizeof LISTEN_PID_PREFIX + 24);
    if (!req->listen_pid_slot) return false;
    strcpy(req->listen_pid_slot, LISTEN_PID_PREFIX);
    req->envp[n] = req->listen_pid_slot; /* freed with envp */
  }

  napi_has_named_property(env, opts, "cwd", &has);
  if (has) {
    napi_valuetype t;
    napi_get_named_property(env, opts, "cwd", &v);
    napi_typeof(env, v, &t);
    if (t == napi_string && !(req->cwd = get_string(env, v, "cwd"))) return false;
  }

  napi_get_named_property(env, opts, "fds", &v);
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array) {
    throw_type(env, "fds must be an array of numbers");
    return false;
  }
  napi_get_array_length(env, v, &req->nfds);
  if (req->nfds > 256) {
    throw_type(env, "fds: at most 256 slots");
    return false;
  }
  req->fds = calloc(req->nfds + 1, sizeof *req->fds);
  for (uint32_t i = 0; i < req->nfds; i++) {
    napi_value item;
    napi_get_element(env, v, i, &item);
    if (!get_int(env, item, "fds[i]", &req->fds[i])) return false;
  }

  napi_get_named_property(env, opts, "foreground", &v);
  get_bool(env, v, &req->foreground);
  return true;
}

static void free_request(spawn_request_t *req) {
  free(req->file);
  free_string_array(req->argv);
  free_string_array(req->envp);
  free(req->cwd);
  free(req->fds);
}

/*
 * spawn({ file, argv, env, cwd?, fds, foreground?, listenPid? }) → pid.
 * file must be a path (PATH lookup is the caller's). An exec failure throws
 * with the child's errno (code 'ENOENT', 'EACCES', ...; syscall 'execve').
 */
napi_value spawn_process(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return throw_type(env, "spawn needs an options object");

  spawn_request_t req;
  if (!read_request(env, argv[0], &req)) {
    free_request(&req);
    return NULL;
  }

  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) < 0) {
    free_request(&req);
    return throw_errno(env, errno, "pipe2");
  }

  sigset_t all, saved;
  sigfillset(&all);
  real_sigmask(SIG_SETMASK, &all, &saved);
  pid_t pid = fork();
  if (pid == 0) {
    close(error_pipe[0]);
    exec_child(&req, error_pipe[1]);
  }
  int fork_errno = errno;
  real_sigmask(SIG_SETMASK, &saved, NULL);
  close(error_pipe[1]);

  if (pid < 0) {
    close(error_pipe[0]);
    free_request(&req);
    return throw_errno(env, fork_errno, "fork");
  }
  /* Also from the parent, so the group exists before we ever signal it. */
  setpgid(pid, pid);

  int child_errno = 0;
  ssize_t n;
  do n = read(error_pipe[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close(error_pipe[0]);
  free_request(&req);

  if (n == (ssize_t)sizeof child_errno) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return throw_errno(env, child_errno, "execve");
  }
  return make_int(env, pid);
}
