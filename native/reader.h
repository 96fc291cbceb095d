/* An fd watched on libuv's loop whose readable events call back into JavaScript. */
#ifndef HOTINIT_READER_H
#define HOTINIT_READER_H

#include <uv.h>

#include "addon.h"

typedef struct reader reader_t;
typedef void (*reader_drain_fn)(reader_t *reader);

struct reader {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  napi_ref self; /* the JS external, kept until closed */
  int fd;
  int closed;
  reader_drain_fn drain;
};

/* Starts watching fd (owned from now on); returns { fd, reader } or NULL with an error thrown. */
napi_value reader_start(napi_env env, int fd, napi_value callback, reader_drain_fn drain, const char *name);
/* Calls the JavaScript callback; an exception it throws becomes an uncaught exception. */
void reader_call(reader_t *reader, size_t argc, napi_value *argv);

#endif
