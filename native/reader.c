/*
 * Readers: signalfd, notify datagrams and readiness pipes all need the same
 * thing Node cannot give for an arbitrary fd — a callback when it is readable.
 * A uv_poll_t on Node's own loop does it without threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "reader.h"

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  reader_t *reader = handle->data;
  if (reader->closed) return;
  napi_handle_scope scope;
  napi_open_handle_scope(reader->env, &scope);
  reader->drain(reader);
  napi_close_handle_scope(reader->env, scope);
}

void reader_call(reader_t *reader, size_t argc, napi_value *argv) {
  if (reader->closed) return;
  napi_env env = reader->env;
  napi_value callback, recv, result;
  napi_get_reference_value(env, reader->callback, &callback);
  napi_get_global(env, &recv); /* make_callback needs an object receiver */
  napi_status status = napi_make_callback(env, reader->context, recv, callback, argc, argv, &result);
  if (status == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
}

static void on_closed(uv_handle_t *handle) {
  free(handle->data);
}

static void release(reader_t *reader) {
  if (reader->closed) return;
  reader->closed = 1;
  uv_poll_stop(&reader->poll);
  close(reader->fd);
  napi_delete_reference(reader->env, reader->callback);
  napi_async_destroy(reader->env, reader->context);
  uv_close((uv_handle_t *)&reader->poll, on_closed);
}

napi_value reader_start(napi_env env, int fd, napi_value callback, reader_drain_fn drain, const char *name) {
  napi_valuetype type = napi_undefined;
  if (callback) napi_typeof(env, callback, &type);
  if (type != napi_function) {
    close(fd);
    return throw_type(env, "callback must be a function");
  }
  reader_t *reader = calloc(1, sizeof *reader);
  if (!reader) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  reader->env = env;
  reader->fd = fd;
  reader->drain = drain;
  napi_create_reference(env, callback, 1, &reader->callback);
  napi_value resource, resource_name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, resource, resource_name, &reader->context);

  struct uv_loop_s *loop;
  napi_get_uv_event_loop(env, &loop);
  int err = uv_poll_init(loop, &reader->poll, fd);
  if (err == 0) err = uv_poll_start(&reader->poll, UV_READABLE, on_readable);
  if (err != 0) {
    reader->closed = 1;
    close(fd);
    napi_delete_reference(env, reader->callback);
    napi_async_destroy(env, reader->context);
    free(reader);
    return throw_errno(env, -err, "uv_poll_start");
  }
  reader->poll.data = reader;

  napi_value result, handle;
  napi_create_object(env, &result);
  napi_create_external(env, reader, NULL, NULL, &handle);
  set_named(env, result, "fd", make_int(env, fd));
  set_named(env, result, "handle", handle);
  return result;
}

/* closeReader(handle): stops watching and closes the fd. Call once per reader
 * (the TypeScript wrapper guarantees it): the memory is freed afterwards. */
napi_value close_reader(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || !data)
    return throw_type(env, "closeReader needs a reader handle");
  release(data);
  return NULL;
}
