/*
 * The `hotinit` executable: the first code that runs as PID 1.
 *
 * Why it exists: the kernel drops a default-disposition signal sent to PID 1,
 * and Node needs ~20 ms before any JavaScript listener exists. Blocked signals
 * are never dropped, and the signal mask survives execve, so this launcher
 * blocks every signal hotinit forwards before doing anything else, then
 * execs Node with the addon preloaded. The addon keeps those signals blocked in
 * every thread (Node unblocks signals at start) and reads them from a
 * signalfd: a TERM sent in the first microsecond is still pending there.
 *
 * It also records the signal state hotinit inherited (blocked and ignored
 * sets), which Node resets, so that the application can be started with it,
 * as tini does. No policy lives here: it finds Node and the program, sets
 * four environment variables, and execs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "held_signals.h"

static int is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* First executable `node` on PATH, like execvp would find it. */
static int find_on_path(const char *name, char *out, size_t out_size) {
  const char *path = getenv("PATH");
  if (path == NULL || *path == '\0') path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    const char *end = strchr(path, ':');
    size_t len = end ? (size_t)(end - path) : strlen(path);
    if (len > 0 && (size_t)snprintf(out, out_size, "%.*s/%s", (int)len, path, name) < out_size &&
        is_executable_file(out))
      return 1;
    if (!end) break;
    path = end + 1;
  }
  return 0;
}

static uint64_t set_to_bits(const sigset_t *set) {
  uint64_t bits = 0;
  for (int sig = 1; sig <= 64; sig++)
    if (sigismember(set, sig) == 1) bits |= (uint64_t)1 << (sig - 1);
  return bits;
}

static void die(const char *what, const char *detail) {
  fprintf(stderr, "hotinit: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(127);
}

int main(int argc, char **argv) {
  /* Before anything else: from here on no forwarded signal can be lost. */
  sigset_t held, inherited_mask;
  hotinit_fill_held(&held);
  sigprocmask(SIG_BLOCK, &held, &inherited_mask);

  sigset_t inherited_ignored;
  sigemptyset(&inherited_ignored);
  for (int sig = 1; sig <= 64; sig++) {
    struct sigaction sa;
    if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
      sigaddset(&inherited_ignored, sig);
  }

  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) die("cannot read /proc/self/exe", strerror(errno));
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  *slash = '\0'; /* self is now the launcher's directory */

  /* The addon sits beside the launcher (build/Release/ or /opt/hotinit/bin/). */
  char addon[PATH_MAX];
  snprintf(addon, sizeof addon, "%s/hotinit.node", self);
  if (!is_file(addon)) die("addon not found beside the launcher (rebuild with: npm rebuild)", addon);

  /* The program: the image layout first, then the repository's build layout. */
  const char *main_candidates[] = {"%s/../lib/hotinit/hotinit.cjs", "%s/../../dist/hotinit.cjs"};
  char program[PATH_MAX] = "";
  for (size_t i = 0; i < sizeof main_candidates / sizeof *main_candidates; i++) {
    snprintf(program, sizeof program, main_candidates[i], self);
    if (is_file(program)) break;
    program[0] = '\0';
  }
  if (!program[0]) die("hotinit's JavaScript not found (build it with: npm run build)", self);

  char node[PATH_MAX];
  const char *node_env = getenv("HOTINIT_NODE");
  if (node_env && *node_env) {
    snprintf(node, sizeof node, "%s", node_env);
  } else {
    snprintf(node, sizeof node, "%s/node", self);
    if (!is_executable_file(node) && !find_on_path("node", node, sizeof node))
      die("no node on PATH (set HOTINIT_NODE to a Node.js >= 22 binary)", NULL);
  }

  /* fds the runtime passed us open across exec (tini passes them on): Node's
   * start-up marks some of them close-on-exec, so name them for the addon,
   * which opens them up again in each generation. */
  char fds[1024] = "";
  DIR *dir = opendir("/proc/self/fd");
  if (dir) {
    size_t used = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
      int fd = atoi(entry->d_name);
      if (fd < 3 || fd == dirfd(dir) || (fcntl(fd, F_GETFD) & FD_CLOEXEC)) continue;
      int n = snprintf(fds + used, sizeof fds - used, "%s%d", used ? "," : "", fd);
      if (n < 0 || (size_t)n >= sizeof fds - used) break;
      used += (size_t)n;
    }
    closedir(dir);
  }
  setenv("HOTINIT_LAUNCH_FDS", fds, 1);

  /* Hand the inherited state to the addon; it restores LD_PRELOAD at load. */
  char state[64];
  snprintf(state, sizeof state, "%llx:%llx", (unsigned long long)set_to_bits(&inherited_mask),
           (unsigned long long)set_to_bits(&inherited_ignored));
  setenv("HOTINIT_LAUNCH_SIGNALS", state, 1);
  const char *preload = getenv("LD_PRELOAD");
  if (preload) setenv("HOTINIT_LAUNCH_LD_PRELOAD", preload, 1);
  /* The application's NODE_OPTIONS are not hotinit's (an --inspect there must
   * not open a debugger in PID 1); the JavaScript gives them back to the child. */
  const char *node_options = getenv("NODE_OPTIONS");
  if (node_options) {
    setenv("HOTINIT_LAUNCH_NODE_OPTIONS", node_options, 1);
    unsetenv("NODE_OPTIONS");
  }
  char preload_value[PATH_MAX * 2];
  snprintf(preload_value, sizeof preload_value, "%s%s%s", addon, preload ? ":" : "", preload ? preload : "");
  setenv("LD_PRELOAD", preload_value, 1);

  /* node [flags] program args... ; --v8-pool-size=1: an init needs no GC helpers. */
  char **args = calloc((size_t)argc + 4, sizeof *args);
  if (!args) die("out of memory", NULL);
  int a = 0;
  args[a++] = node;
  args[a++] = "--v8-pool-size=1";
  args[a++] = program;
  for (int i = 1; i < argc; i++) args[a++] = argv[i];
  args[a] = NULL;
  execv(node, args);
  die("cannot execute node", node);
  return 127;
}
