/*
 * The signals hotinit keeps blocked in every thread for its whole life and
 * reads from a signalfd instead: every catchable signal but SIGCHLD (libuv
 * must see it to reap execa's children) and the synchronous fault signals
 * (V8 relies on SIGSEGV; blocking a fault signal makes the kernel kill us).
 * Shared by the launcher (which blocks them before Node starts) and the addon
 * (which keeps them blocked and reads them).
 */
#ifndef HOTINIT_HELD_SIGNALS_H
#define HOTINIT_HELD_SIGNALS_H

#include <signal.h>

static inline int hotinit_is_held(int sig) {
  switch (sig) {
    case SIGKILL: case SIGSTOP: case SIGCHLD:
    case SIGILL: case SIGBUS: case SIGFPE: case SIGSEGV:
      return 0;
    default:
      /* 32 and 33 are glibc's own (thread cancellation, setxid). */
      return sig >= 1 && sig <= 64 && sig != 32 && sig != 33;
  }
}

static inline void hotinit_fill_held(sigset_t *set) {
  sigemptyset(set);
  for (int sig = 1; sig <= 64; sig++)
    if (hotinit_is_held(sig)) sigaddset(set, sig);
}

#endif
