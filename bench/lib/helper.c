/*
 * bench/lib/helper.c: the timing-critical parts of `npm run bench:init`.
 * Compiled by bench/init.mjs into a temporary directory at run time (never
 * committed as a binary). One executable, several modes (argv[1]):
 *
 *   stamp-exec FILE PROG ARGS...  append "exec <ns>" to FILE, then execvp PROG
 *   stamp FILE                    append "child <ns>" to FILE, exit 0
 *   idle FILE                     append "ready <pid>" to FILE, sleep until killed
 *   sigchild FIFO SIGNO           on each SIGNO, write the CLOCK_MONOTONIC time
 *                                 taken in the handler (8 bytes) to FIFO
 *   sender PID SIGNO N FIFO OUT   N times: stamp, kill(PID, SIGNO), read the
 *                                 child's stamp from FIFO; write latencies to OUT
 *   storm burst|seq N OUT TIMEOUT reap workload, see storm() below; result in OUT
 *
 * Times are CLOCK_MONOTONIC nanoseconds; every process runs on the same machine.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "bench-helper: %s: %s\n", what, strerror(errno));
  _exit(111);
}

/* One write(2) with O_APPEND: lines from several processes never interleave. */
static void append_line(const char *file, const char *line) {
  int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) die(file);
  size_t len = strlen(line);
  if (write(fd, line, len) != (ssize_t)len) die("write");
  close(fd);
}

static void sleep_ns(int64_t ns) {
  struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* ---- startup ---- */

static int stamp_exec(int argc, char **argv) {
  if (argc < 4) return 2;
  char line[64];
  /* The stamp is taken as late as possible: the line is formatted first. */
  int64_t t = now_ns();
  snprintf(line, sizeof line, "exec %lld\n", (long long)t);
  append_line(argv[2], line);
  execvp(argv[3], argv + 3);
  die(argv[3]);
  return 127;
}

static int stamp(int argc, char **argv) {
  int64_t t = now_ns();
  if (argc < 3) return 2;
  char line[64];
  snprintf(line, sizeof line, "child %lld\n", (long long)t);
  append_line(argv[2], line);
  return 0;
}

static int idle(int argc, char **argv) {
  if (argc < 3) return 2;
  char line[64];
  snprintf(line, sizeof line, "ready %d\n", (int)getpid());
  append_line(argv[2], line);
  for (;;) pause(); /* default SIGTERM (forwarded by the init) ends it */
}

/* ---- signal forwarding ---- */

static volatile sig_atomic_t got;
static volatile int64_t got_at;

static void on_signal(int sig) {
  (void)sig;
  got_at = now_ns(); /* clock_gettime is async-signal-safe */
  got = 1;
}

static int sigchild(int argc, char **argv) {
  if (argc < 4) return 2;
  int signo = atoi(argv[3]);
  signal(SIGPIPE, SIG_IGN);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, signo);
  sigprocmask(SIG_BLOCK, &block, &old);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(signo, &sa, NULL) != 0) die("sigaction");
  /* The handler exists before the sender can open the FIFO's other end. */
  int fd = open(argv[2], O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(argv[2]);
  sigset_t wait_mask = old;
  sigdelset(&wait_mask, signo);
  for (;;) {
    while (!got) sigsuspend(&wait_mask); /* the handler runs at once on delivery */
    got = 0;
    int64_t t = got_at;
    if (write(fd, &t, sizeof t) != (ssize_t)sizeof t) return 0; /* sender gone */
  }
}

static int sender(int argc, char **argv) {
  if (argc < 7) return 2;
  pid_t pid = (pid_t)atoi(argv[2]);
  int signo = atoi(argv[3]);
  int n = atoi(argv[4]);
  int fd = open(argv[5], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(argv[5]);
  FILE *out = fopen(argv[6], "w");
  if (!out) die(argv[6]);
  srand((unsigned)getpid());
  int lost = 0;
  for (int i = 0; i < n; i++) {
    /* 1-3 ms apart: the init is idle again, as it would be in real life. */
    sleep_ns(1000000LL + (int64_t)(rand() % 2000000));
    int64_t t0 = now_ns();
    if (kill(pid, signo) != 0) die("kill");
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, 1000);
    if (r <= 0) {
      fprintf(out, "lost\n");
      if (++lost >= 5) break;
      continue;
    }
    int64_t t1;
    ssize_t got_bytes = read(fd, &t1, sizeof t1);
    if (got_bytes != (ssize_t)sizeof t1) {
      fprintf(out, "eof\n");
      break;
    }
    fprintf(out, "%lld\n", (long long)(t1 - t0));
  }
  fclose(out);
  close(fd);
  return 0;
}

/* ---- reaping ---- */

/* Processes in this PID namespace other than PID 1 and ourselves
 * (/proc is this namespace's: unshare --mount-proc). Counts zombies too. */
static int count_others(int *zombies) {
  DIR *d = opendir("/proc");
  if (!d) die("/proc");
  int n = 0, z = 0;
  pid_t self = getpid();
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    pid_t p = (pid_t)atoi(e->d_name);
    if (p == 1 || p == self) continue;
    n++;
    if (zombies) {
      char path[64], buf[512];
      snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ssize_t len = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (len <= 0) continue;
      buf[len] = '\0';
      char *paren = strrchr(buf, ')');
      if (paren && paren[1] == ' ' && paren[2] == 'Z') z++;
    }
  }
  closedir(d);
  if (zombies) *zombies = z;
  return n;
}

/* utime+stime of PID 1 (all its threads) in clock ticks, and the precise
 * sum of its threads' run time from schedstat in ns. */
static void init_cpu(long long *ticks, long long *sched_ns) {
  *ticks = -1;
  *sched_ns = 0;
  char buf[2048];
  int fd = open("/proc/1/stat", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len > 0) {
      buf[len] = '\0';
      char *p = strrchr(buf, ')');
      /* after ")": field 3 (state) ... utime is field 14, stime field 15 */
      unsigned long long ut = 0, st = 0;
      if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
        *ticks = (long long)(ut + st);
    }
  }
  DIR *d = opendir("/proc/1/task");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/1/task/%s/schedstat", e->d_name);
    int tfd = open(path, O_RDONLY | O_CLOEXEC);
    if (tfd < 0) continue;
    ssize_t len = read(tfd, buf, sizeof buf - 1);
    close(tfd);
    if (len > 0) {
      buf[len] = '\0';
      *sched_ns += atoll(buf);
    }
  }
  closedir(d);
}

/*
 * burst: 10k double-forked orphans (their parent exits, they are re-parented
 * to PID 1) all block on one pipe; closing its write end (t0) makes them all
 * exit at once. seq: one double fork after another; each orphan exits as
 * soon as its parent is gone (EOF on a pipe only that parent held), so
 * orphans die one after another while the init reaps. Both: done when no
 * process but PID 1 and this one is left (t1); then 1 s later count zombies.
 */
static int storm(int argc, char **argv) {
  if (argc < 6) return 2;
  int burst = strcmp(argv[2], "burst") == 0;
  int n = atoi(argv[3]);
  const char *out = argv[4];
  int64_t timeout_ns = (int64_t)atoi(argv[5]) * 1000000000LL;
  signal(SIGPIPE, SIG_IGN);

  int created = 0;
  int64_t setup0 = now_ns(), t0 = 0, loop_end = 0;
  long long ticks0, ticks1, sched0, sched1;

  if (burst) {
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) != 0) die("pipe");
    for (int i = 0; i < n; i++) {
      pid_t mid = fork();
      if (mid < 0) break;
      if (mid == 0) {
        pid_t leaf = fork();
        if (leaf == 0) {
          close(gate[1]);
          char c;
          while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
          }
          _exit(0);
        }
        _exit(leaf < 0 ? 1 : 0);
      }
      int st;
      while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
      }
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0) created++;
      else break;
    }
    close(gate[0]);
    sleep_ns(200000000LL); /* let the init settle after 10k re-parentings */
    init_cpu(&ticks0, &sched0);
    t0 = now_ns();
    close(gate[1]); /* the storm */
    loop_end = t0;
  } else {
    init_cpu(&ticks0, &sched0);
    t0 = now_ns();
    for (int i = 0; i < n; i++) {
      int held[2];
      if (pipe2(held, O_CLOEXEC) != 0) die("pipe");
      pid_t mid = fork();
      if (mid < 0) {
        close(held[0]);
        close(held[1]);
        break;
      }
      if (mid == 0) {
        pid_t leaf = fork();
        if (leaf == 0) {
          close(held[1]);
          char c;
          while (read(held[0], &c, 1) < 0 && errno == EINTR) {
          }
          _exit(0); /* EOF: our parent is gone, we are PID 1's now */
        }
        _exit(leaf < 0 ? 1 : 0);
      }
      close(held[0]);
      close(held[1]);
      int st;
      while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
      }
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0) created++;
      else break;
    }
    loop_end = now_ns();
  }

  /* Poll until nothing but PID 1 and us is left. A /proc scan with 10k
   * entries costs ~1-3 ms: 2 ms apart keeps it from starving the init. */
  int64_t t1 = 0;
  int timed_out = 0, left = 0;
  for (;;) {
    left = count_others(NULL);
    int64_t t = now_ns();
    if (left == 0) {
      t1 = t;
      break;
    }
    if (t - t0 > timeout_ns) {
      timed_out = 1;
      t1 = t;
      break;
    }
    sleep_ns(left > 50 ? 2000000LL : 200000LL);
  }
  init_cpu(&ticks1, &sched1);
  sleep_ns(1000000000LL);
  int zombies = 0;
  int alive_or_zombie = count_others(&zombies);

  char buf[1024];
  snprintf(buf, sizeof buf,
           "mode=%s\nrequested=%d\ncreated=%d\nsetup_ms=%.3f\nwall_ms=%.3f\nloop_ms=%.3f\n"
           "tail_ms=%.3f\ntimeout=%d\nleft_at_end=%d\nzombies_after_1s=%d\nothers_after_1s=%d\n"
           "cpu_ticks=%lld\nclk_tck=%ld\ncpu_sched_ms=%.3f\n",
           burst ? "burst" : "seq", n, created, (double)(t0 - setup0) / 1e6, (double)(t1 - t0) / 1e6,
           (double)(loop_end - t0) / 1e6, (double)(t1 - loop_end) / 1e6, timed_out, left, zombies,
           alive_or_zombie, (ticks0 >= 0 && ticks1 >= 0) ? ticks1 - ticks0 : -1, sysconf(_SC_CLK_TCK),
           (double)(sched1 - sched0) / 1e6);
  append_line(out, buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  if (!strcmp(mode, "stamp-exec")) return stamp_exec(argc, argv);
  if (!strcmp(mode, "stamp")) return stamp(argc, argv);
  if (!strcmp(mode, "idle")) return idle(argc, argv);
  if (!strcmp(mode, "sigchild")) return sigchild(argc, argv);
  if (!strcmp(mode, "sender")) return sender(argc, argv);
  if (!strcmp(mode, "storm")) return storm(argc, argv);
  fprintf(stderr, "bench-helper: unknown mode %s\n", mode);
  return 2;
}
