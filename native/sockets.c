/*
 * Sockets Node cannot make: a listening socket nobody accepts on (so that
 * connections wait in the kernel's queue between generations), and an
 * AF_UNIX datagram socket that tells who sent each message (NOTIFY_SOCKET).
 * Every fd is CLOEXEC in hotinit; spawn() clears it in the child's copy.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addon.h"
#include "reader.h"

static napi_value fail_socket(napi_env env, int fd, const char *syscall) {
  int err = errno;
  if (fd >= 0) close(fd);
  return throw_errno(env, err, syscall);
}

/* listenInet(kind 'tcp'|'udp', host (numeric v4 or v6), port, backlog) → fd */
napi_value listen_inet(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) return throw_type(env, "listenInet(kind, host, port, backlog)");
  char *kind = get_string(env, argv[0], "kind");
  char *host = kind ? get_string(env, argv[1], "host") : NULL;
  int32_t port, backlog;
  if (!host || !get_int(env, argv[2], "port", &port) || !get_int(env, argv[3], "backlog", &backlog)) {
    free(kind);
    free(host);
    return NULL;
  }
  bool udp = strcmp(kind, "udp") == 0;
  struct sockaddr_storage addr;
  socklen_t addr_len;
  memset(&addr, 0, sizeof addr);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    addr_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    addr_len = sizeof *v6;
  } else {
    free(kind);
    free(host);
    errno = EINVAL;
    return throw_errno(env, EINVAL, "inet_pton");
  }
  free(kind);
  free(host);

  int fd = socket(addr.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_socket(env, -1, "socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) return fail_socket(env, fd, "setsockopt");
  if (bind(fd, (struct sockaddr *)&addr, addr_len) < 0) return fail_socket(env, fd, "bind");
  if (!udp && listen(fd, backlog) < 0) return fail_socket(env, fd, "listen");
  return make_int(env, fd);
}

static bool unix_address(napi_env env, napi_value path_v, struct sockaddr_un *addr) {
  char *path = get_string(env, path_v, "path");
  if (!path) return false;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr->sun_path) {
    free(path);
    throw_errno(env, ENAMETOOLONG, "bind");
    return false;
  }
  strcpy(addr->sun_path, path);
  free(path);
  return true;
}

/* listenUnix(path, backlog) → fd. The caller removes a stale file first. */
napi_value listen_unix(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t backlog;
  struct sockaddr_un addr;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || !unix_address(env, argv[0], &addr) || !get_int(env, argv[1], "backlog", &backlog)) return NULL;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_socket(env, -1, "socket");
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return fail_socket(env, fd, "bind");
  if (listen(fd, backlog) < 0) return fail_socket(env, fd, "listen");
  return make_int(env, fd);
}

/* socketInfo(fd) → { family: 'inet'|'inet6'|'unix'|'other', type: 'stream'|'dgram'|'other', listening, address?, port?, path? } */
napi_value socket_info(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!get_int_arg(env, info, "fd", &fd)) return NULL;
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return throw_errno(env, errno, "getsockopt");
  len = sizeof listening;
  getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
  struct sockaddr_storage addr;
  len = sizeof addr;
  memset(&addr, 0, sizeof addr);
  if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) return throw_errno(env, errno, "getsockname");

  napi_value result, flag;
  napi_create_object(env, &result);
  set_named(env, result, "type", make_string(env, type == SOCK_STREAM ? "stream" : type == SOCK_DGRAM ? "dgram" : "other"));
  napi_get_boolean(env, listening != 0, &flag);
  set_named(env, result, "listening", flag);
  char text[INET6_ADDRSTRLEN];
  if (addr.ss_family == AF_INET) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    set_named(env, result, "family", make_string(env, "inet"));
    set_named(env, result, "address", make_string(env, text));
    set_named(env, result, "port", make_int(env, ntohs(v4->sin_port)));
  } else if (addr.ss_family == AF_INET6) {
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    set_named(env, result, "family", make_string(env, "inet6"));
    set_named(env, result, "address", make_string(env, text));
    set_named(env, result, "port", make_int(env, ntohs(v6->sin6_port)));
  } else if (addr.ss_family == AF_UNIX) {
    struct sockaddr_un *un = (struct sockaddr_un *)&addr;
    set_named(env, result, "family", make_string(env, "unix"));
    size_t path_len = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    napi_value path;
    napi_create_string_utf8(env, un->sun_path, strnlen(un->sun_path, path_len), &path);
    set_named(env, result, "path", path);
  } else {
    set_named(env, result, "family", make_string(env, "other"));
  }
  return result;
}

static void read_datagrams(reader_t *reader) {
  char buffer[4096];
  union {
    struct cmsghdr align;
    char space[CMSG_SPACE(sizeof(struct ucred))];
  } control;
  for (;;) {
    struct iovec iov = {.iov_base = buffer, .iov_len = sizeof buffer - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(reader->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return; /* EAGAIN: drained */
    int64_t pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        pid = cred.pid;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        /* sd_notify may pass fds (FDSTORE=1); we keep none. */
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count; i++) close(((int *)CMSG_DATA(c))[i]);
      }
    }
    napi_value args[2];
    args[0] = make_int(reader->env, pid);
    napi_create_string_utf8(reader->env, buffer, (size_t)n, &args[1]);
    reader_call(reader, 2, args);
  }
}

/* openDatagramReader(path, callback(senderPid, text)) → { fd, handle }: a NOTIFY_SOCKET. */
napi_value open_datagram_reader(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct sockaddr_un addr;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || !unix_address(env, argv[0], &addr)) return NULL;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail_socket(env, -1, "socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) return fail_socket(env, fd, "setsockopt");
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return fail_socket(env, fd, "bind");
  return reader_start(env, fd, argv[1], read_datagrams, "hotinit.notify");
}

static void read_pipe(reader_t *reader) {
  char buffer[4096];
  for (;;) {
    ssize_t n = read(reader->fd, buffer, sizeof buffer);
    if (n < 0) return; /* EAGAIN */
    napi_value args[1];
    if (n == 0) {
      napi_get_null(reader->env, &args[0]); /* EOF: every writer closed */
      reader_call(reader, 1, args);
      return;
    }
    napi_create_string_utf8(reader->env, buffer, (size_t)n, &args[0]);
    reader_call(reader, 1, args);
  }
}

/*
 * openPipeReader(callback(text | null)) → { fd, handle, writeFd }: a pipe whose
 * write end (writeFd, CLOEXEC, the caller closes it after spawn) goes to a
 * child; null means EOF, i.e. the child closed it or died.
 */
napi_value open_pipe_reader(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return throw_errno(env, errno, "pipe2");
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  napi_value result = reader_start(env, fds[0], argc > 0 ? argv[0] : NULL, read_pipe, "hotinit.readyfd");
  if (!result) {
    close(fds[1]);
    return NULL;
  }
  set_named(env, result, "writeFd", make_int(env, fds[1]));
  return result;
}
