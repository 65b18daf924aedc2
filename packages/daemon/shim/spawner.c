/*
 * `tscni-shim --spawner`: runs commands (ip, nsenter, nft) for the tscni daemon.
 *
 * Node starts a child with fork(), which copies the page tables of the whole
 * daemon: with 60-100 MB resident that is 4-6 ms here, all of it on the
 * daemon's one thread, and bridge runs three or four commands per ADD+DEL.
 * This process is small and static, so its fork costs a fraction of that.
 * The daemon keeps a few of them; each serves one request at a time over its
 * stdin and stdout, as frames of a 4-byte big-endian length and a payload:
 *
 *   request   "TIMEOUT_MS\0ARGC\0" ARGC x "ARG\0" "ENVC\0" ENVC x "K=V\0", then the child's stdin
 *   answer    "STATUS SIGNAL TIMED_OUT EXEC_ERRNO\0", 4-byte stdout length, stdout, stderr
 *
 * And one request that is not a command, ARGC -1 then "FD\0": take an exclusive
 * flock on the daemon's descriptor FD, fetched with pidfd_getfd(2), so the lock
 * is on the daemon's own open file description and is released when the
 * daemon closes it or dies, exactly as when flock(1) inherits it from a fork
 * of the daemon. STATUS 0: locked; TIMED_OUT 1: not within TIMEOUT_MS;
 * EXEC_ERRNO: the fetch or the lock failed (EPERM without ptrace rights over
 * the daemon: the daemon then falls back to flock(1)).
 *
 * argv[0] is an absolute path (execve, no PATH search). A child that outlives
 * its timeout is killed with SIGKILL. EOF on stdin: the daemon is gone, so
 * this process ends too.
 */
#define _GNU_SOURCE
#include "common.h"
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX (16u * 1024u * 1024u)

/* Output beyond the cap is dropped, as invoke's capture does. */
static void capped_put(struct buf *b, const void *p, size_t n) {
  if (b->len + n > FRAME_MAX) n = FRAME_MAX - b->len;
  buf_put(b, p, n);
}

static int read_full(int fd, void *p, size_t n) {
  for (size_t got = 0; got < n;) {
    ssize_t r = read(fd, (char *)p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static int write_full(int fd, const void *p, size_t n) {
  for (size_t put = 0; put < n;) {
    ssize_t w = write(fd, (const char *)p + put, n - put);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    put += (size_t)w;
  }
  return 0;
}

static void put_be32(unsigned char *b, uint32_t v) {
  b[0] = (unsigned char)(v >> 24);
  b[1] = (unsigned char)(v >> 16);
  b[2] = (unsigned char)(v >> 8);
  b[3] = (unsigned char)v;
}

/* The next NUL-terminated field at *p, or NULL when the payload ends first. */
static char *field(char **p, char *end) {
  char *s = *p, *nul = memchr(s, 0, (size_t)(end - s));
  if (!nul) return NULL;
  *p = nul + 1;
  return s;
}

static int answer(int status, int sig, int timed_out, int exec_errno, const struct buf *out, const struct buf *err) {
  char head[96];
  int n = snprintf(head, sizeof head, "%d %d %d %d", status, sig, timed_out, exec_errno);
  size_t total = (size_t)n + 1 + 4 + out->len + err->len;
  unsigned char len[4], outlen[4];
  put_be32(len, (uint32_t)total);
  put_be32(outlen, (uint32_t)out->len);
  if (write_full(1, len, 4) || write_full(1, head, (size_t)n + 1) || write_full(1, outlen, 4)) return -1;
  if (out->len && write_full(1, out->data, out->len)) return -1;
  if (err->len && write_full(1, err->data, err->len)) return -1;
  return 0;
}

static void on_alarm(int sig) {
  (void)sig;
}

static int lock_for_parent(int fd, long timeout_ms) {
  struct buf none = {0};
  int pidfd = (int)syscall(SYS_pidfd_open, getppid(), 0);
  if (pidfd < 0) return answer(-1, 0, 0, errno, &none, &none);
  int mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  int saved = errno;
  close(pidfd);
  if (mine < 0) return answer(-1, 0, 0, saved, &none, &none);
  /* A blocking flock that SIGALRM interrupts (no SA_RESTART): woken the moment the holder lets go. */
  struct sigaction sa = {.sa_handler = on_alarm}, old;
  sigaction(SIGALRM, &sa, &old);
  struct itimerval t = {.it_value = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000}}, off = {0};
  setitimer(ITIMER_REAL, &t, NULL);
  int r = flock(mine, LOCK_EX);
  saved = errno;
  setitimer(ITIMER_REAL, &off, NULL);
  sigaction(SIGALRM, &old, NULL);
  /* Our copy goes; the lock stays with the open file description, which the daemon's descriptor still holds. */
  close(mine);
  if (r == 0) return answer(0, 0, 0, 0, &none, &none);
  return saved == EINTR ? answer(1, 0, 1, 0, &none, &none) : answer(-1, 0, 0, saved, &none, &none);
}

/* Runs one request; -1 only when the answer cannot be written (the daemon is gone). */
static int serve(char *req, size_t len) {
  char *p = req, *end = req + len, *f;
  struct buf out = {0}, err = {0};
  long timeout_ms = (f = field(&p, end)) ? atol(f) : 0;
  int argc = (f = field(&p, end)) ? atoi(f) : 0;
  if (argc == -1 && timeout_ms > 0 && (f = field(&p, end))) return lock_for_parent(atoi(f), timeout_ms);
  if (timeout_ms <= 0 || argc <= 0 || argc > 4096) return answer(-1, 0, 0, EINVAL, &out, &err);
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  for (int i = 0; i < argc; i++)
    if (!(argv[i] = field(&p, end))) return free(argv), answer(-1, 0, 0, EINVAL, &out, &err);
  int envc = (f = field(&p, end)) ? atoi(f) : -1;
  if (envc < 0 || envc > 4096) return free(argv), answer(-1, 0, 0, EINVAL, &out, &err);
  char **envp = calloc((size_t)envc + 1, sizeof *envp);
  for (int i = 0; i < envc; i++)
    if (!(envp[i] = field(&p, end))) return free(argv), free(envp), answer(-1, 0, 0, EINVAL, &out, &err);
  const char *input = p;
  size_t input_len = (size_t)(end - p), written = 0;

  int in[2], o[2], e[2], x[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC) || pipe2(x, O_CLOEXEC)) {
    int saved = errno;
    return free(argv), free(envp), answer(-1, 0, 0, saved, &out, &err);
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(o[1], 1);
    dup2(e[1], 2);
    signal(SIGPIPE, SIG_DFL);
    execve(argv[0], argv, envp);
    int saved = errno;
    write_full(x[1], &saved, sizeof saved);
    _exit(127);
  }
  int exec_errno = pid < 0 ? errno : 0;
  close(in[0]);
  close(o[1]);
  close(e[1]);
  close(x[1]);
  if (pid > 0 && read_full(x[0], &exec_errno, sizeof exec_errno)) exec_errno = 0; /* EOF: execve succeeded */
  close(x[0]);
  free(argv);
  free(envp);

  int timed_out = 0, status = -1, sig = 0;
  if (pid > 0) {
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    long long deadline = now_ms() + timeout_ms, grace_end = 0;
    int open_out = 1, open_err = 1, open_in = input_len > 0;
    if (!open_in) close(in[1]);
    while (open_out || open_err) {
      struct pollfd pf[3] = {{open_out ? o[0] : -1, POLLIN, 0}, {open_err ? e[0] : -1, POLLIN, 0}, {open_in ? in[1] : -1, POLLOUT, 0}};
      long long now = now_ms(), until = grace_end ? grace_end : deadline;
      if (now >= until) {
        if (grace_end) break; /* killed, and something it started still holds the pipes: stop reading */
        kill(pid, SIGKILL);
        timed_out = 1;
        grace_end = now + 1000;
        continue;
      }
      if (poll(pf, 3, (int)(until - now)) < 0 && errno != EINTR) break;
      char buf[65536];
      for (int i = 0; i < 2; i++) {
        if (!pf[i].revents) continue;
        ssize_t r = read(pf[i].fd, buf, sizeof buf);
        if (r > 0) capped_put(i ? &err : &out, buf, (size_t)r);
        else if (r == 0 || errno != EINTR) *(i ? &open_err : &open_out) = 0;
      }
      if (open_in && pf[2].revents) {
        ssize_t w = write(in[1], input + written, input_len - written);
        if (w > 0) written += (size_t)w;
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input_len) {
          close(in[1]);
          open_in = 0;
        }
      }
    }
    if (open_in) close(in[1]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st)) status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st)) sig = WTERMSIG(st);
  } else {
    close(in[1]);
  }
  close(o[0]);
  close(e[0]);
  int r = answer(status, sig, timed_out, exec_errno, &out, &err);
  free(out.data);
  free(err.data);
  return r;
}

int spawner_main(void) {
  /* A child that stops reading its stdin must not kill this process with SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    unsigned char len[4];
    if (read_full(0, len, 4)) return 0;
    uint32_t n = (uint32_t)len[0] << 24 | (uint32_t)len[1] << 16 | (uint32_t)len[2] << 8 | len[3];
    if (n > FRAME_MAX) return 1;
    char *req = malloc(n ? n : 1);
    if (!req || read_full(0, req, n)) return 1;
    int r = serve(req, n);
    free(req);
    if (r) return 1;
  }
}
