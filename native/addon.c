/*
 * hotinit's Node-API addon: the syscalls Node lacks, one function each, no
 * policy. Module registration and the helpers every file shares.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "addon.h"

napi_value throw_errno(napi_env env, int err, const char *syscall) {
  /* glibc knows every errno's name; libuv's table lacks some (ECHILD). */
  const char *code = strerrorname_np(err);
  if (!code) code = uv_err_name(-err);
  char message[256];
  snprintf(message, sizeof message, "%s %s: %s", syscall, code, strerror(err));
  napi_value error, msg, code_v;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  napi_create_error(env, code_v, msg, &error);
  set_named(env, error, "errno", make_int(env, -err));
  set_named(env, error, "syscall", make_string(env, syscall));
  napi_throw(env, error);
  return NULL;
}

napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

bool get_int(napi_env env, napi_value v, const char *name, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a number", name);
    throw_type(env, message);
    return false;
  }
  napi_get_value_int32(env, v, out);
  return true;
}

/* The call's only argument as an int32 named `name` (a TypeError if missing or not a number). */
bool get_int_arg(napi_env env, napi_callback_info info, const char *name, int32_t *out) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL); /* a missing one reads as undefined */
  return get_int(env, argv[0], name, out);
}

bool get_bool(napi_env env, napi_value v, bool *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean) {
    *out = false;
    return true;
  }
  napi_get_value_bool(env, v, out);
  return true;
}

char *get_string(napi_env env, napi_value v, const char *name) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a string", name);
    throw_type(env, message);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) { /* an embedded NUL would silently truncate an argument */
    free(s);
    char message[128];
    snprintf(message, sizeof message, "%s must not contain NUL bytes", name);
    throw_type(env, message);
    return NULL;
  }
  return s;
}

char **get_string_array(napi_env env, napi_value v, const char *name, uint32_t extra_slots) {
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array) {
    char message[128];
    snprintf(message, sizeof message, "%s must be an array of strings", name);
    throw_type(env, message);
    return NULL;
  }
  uint32_t n;
  napi_get_array_length(env, v, &n);
  char **list = calloc(n + extra_slots + 1, sizeof *list);
  if (!list) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, v, i, &item);
    list[i] = get_string(env, item, name);
    if (!list[i]) {
      free_string_array(list);
      return NULL;
    }
  }
  return list;
}

void free_string_array(char **list) {
  if (!list) return;
  for (char **p = list; *p; p++) free(*p);
  free(list);
}

napi_value make_int(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

void set_named(napi_env env, napi_value obj, const char *key, napi_value value) {
  napi_set_named_property(env, obj, key, value);
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor fns[] = {
      {"spawn", NULL, spawn_process, NULL, NULL, NULL, napi_default, NULL},
      {"peekExited", NULL, peek_exited, NULL, NULL, NULL, napi_default, NULL},
      {"reap", NULL, reap_pid, NULL, NULL, NULL, napi_default, NULL},
      {"setChildSubreaper", NULL, set_child_subreaper, NULL, NULL, NULL, napi_default, NULL},
      {"setParentDeathSignal", NULL, set_parent_death_signal, NULL, NULL, NULL, napi_default, NULL},
      {"takeTerminal", NULL, take_terminal, NULL, NULL, NULL, napi_default, NULL},
      {"isTerminal", NULL, is_terminal, NULL, NULL, NULL, napi_default, NULL},
      {"openSignalReader", NULL, open_signal_reader, NULL, NULL, NULL, napi_default, NULL},
      {"signalState", NULL, signal_state, NULL, NULL, NULL, napi_default, NULL},
      {"listenInet", NULL, listen_inet, NULL, NULL, NULL, napi_default, NULL},
      {"listenUnix", NULL, listen_unix, NULL, NULL, NULL, napi_default, NULL},
      {"socketInfo", NULL, socket_info, NULL, NULL, NULL, napi_default, NULL},
      {"openDatagramReader", NULL, open_datagram_reader, NULL, NULL, NULL, napi_default, NULL},
      {"openPipeReader", NULL, open_pipe_reader, NULL, NULL, NULL, napi_default, NULL},
      {"peerCredentials", NULL, peer_credentials, NULL, NULL, NULL, napi_default, NULL},
      {"closeReader", NULL, close_reader, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof *fns, fns);
  return exports;
}
