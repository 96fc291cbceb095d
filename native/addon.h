/* Shared helpers of the addon's files: argument reading and Node-shaped errors. */
#ifndef HOTINIT_ADDON_H
#define HOTINIT_ADDON_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

/* Throws an Error like Node's own: message "<syscall> <CODE>: <text>", with
 * .code ('ECHILD'), .errno (number) and .syscall ('waitpid'). Returns NULL. */
napi_value throw_errno(napi_env env, int err, const char *syscall);
napi_value throw_type(napi_env env, const char *message);

bool get_int(napi_env env, napi_value v, const char *name, int32_t *out);
bool get_int_arg(napi_env env, napi_callback_info info, const char *name, int32_t *out);
bool get_bool(napi_env env, napi_value v, bool *out);
/* Copies a JS string into a fresh malloc'd buffer; NULL (with a TypeError thrown) on failure. */
char *get_string(napi_env env, napi_value v, const char *name);
/* NULL-terminated malloc'd array of malloc'd strings from a JS string array. */
char **get_string_array(napi_env env, napi_value v, const char *name, uint32_t extra_slots);
void free_string_array(char **list);

napi_value make_int(napi_env env, int64_t n);
napi_value make_string(napi_env env, const char *s);
void set_named(napi_env env, napi_value obj, const char *key, napi_value value);

/* Signals: the real pthread_sigmask (not our interposer). */
int real_sigmask(int how, const sigset_t *set, sigset_t *old);
/* The signal state hotinit inherited (from the launcher), as bitmasks. */
void inherited_signal_state(uint64_t *blocked, uint64_t *ignored);
/* The fds >= 3 hotinit inherited open across exec (from the launcher). */
int inherited_fd_list(const int **fds);

#define DECLARE_EXPORT(name) napi_value name(napi_env env, napi_callback_info info)

DECLARE_EXPORT(spawn_process);
DECLARE_EXPORT(peek_exited);
DECLARE_EXPORT(reap_pid);
DECLARE_EXPORT(set_child_subreaper);
DECLARE_EXPORT(set_parent_death_signal);
DECLARE_EXPORT(take_terminal);
DECLARE_EXPORT(is_terminal);
DECLARE_EXPORT(open_signal_reader);
DECLARE_EXPORT(signal_state);
DECLARE_EXPORT(listen_inet);
DECLARE_EXPORT(listen_unix);
DECLARE_EXPORT(socket_info);
DECLARE_EXPORT(open_datagram_reader);
DECLARE_EXPORT(open_pipe_reader);
DECLARE_EXPORT(close_reader);
DECLARE_EXPORT(peer_credentials);

#endif
