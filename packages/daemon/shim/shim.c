/*
 * tscni daemon-mode shim: installed under a plugin's name, it forwards one CNI
 * invocation (the whole environment and stdin) to the tscni daemon over a unix
 * socket and hands back the daemon's stdout bytes and exit status.
 *
 * What it does itself, because it must work while the daemon is down:
 *   VERSION                 answered from the versions baked in at install
 *   daemon unreachable      ADD/CHECK/GC -> code 11; STATUS -> code 50;
 *                           DEL -> code 11, or spooled durably when a spool dir is set
 * Every wait is bounded: connect (TSCNI_CONNECT_TIMEOUT_MS, default 2000) and
 * the whole request (TSCNI_REQUEST_TIMEOUT_MS, default 60000).
 *
 * `--spawner` (spawner.c): runs ip/nsenter/nft for the daemon, which would
 * otherwise fork its own large process for each.
 *
 * Launcher mode (setting `launch=PATH`, which `tscni install --form bundle`
 * writes): instead of all that, exec PATH, a script bundle under a name made
 * from its content, with this process's arguments and environment. Node opens
 * a script by path after the kernel has exec'd its interpreter; under a name
 * that an upgrade never rewrites, it reads the bytes the exec started with,
 * also when the plugin's own name has meanwhile become a link to the SEA.
 *
 * Settings live in a reserved region of this file (CONFIG below) that the
 * installer patches per plugin: one file per plugin, replaced by one rename,
 * so a runtime never sees a shim and settings from different installs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "spawner.h"

extern char **environ;

#define MARKER "@@TSCNI-SHIM-CONFIG-V1@@"
#define CONFIG_BYTES 4096
/* Same cap as skel's stdin and invoke's capture: a request or answer above it is refused. */
#define MAX_BYTES (16u * 1024u * 1024u)
#define ROUTE "/v1/exec/"

/* volatile: the compiler must keep all 4096 bytes and read them at run time, not fold the marker. */
static volatile const char CONFIG[CONFIG_BYTES] = MARKER;

static char plugin[256];
static char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char versions[1024]; /* comma separated, oldest first */
static char spool_dir[1024];
static char launch_path[4096];

static long env_ms(const char *name, long fallback) {
  const char *v = getenv(name);
  if (!v || !*v) return fallback;
  char *end;
  long n = strtol(v, &end, 10);
  return (*end || n <= 0) ? fallback : n;
}

static void load_config(void) {
  char cfg[CONFIG_BYTES + 1];
  for (size_t i = 0; i < CONFIG_BYTES; i++) cfg[i] = CONFIG[i];
  cfg[CONFIG_BYTES] = 0;
  /* Patched layout: MARKER NUL "key=value\n"... NUL */
  char *p = cfg + sizeof(MARKER);
  while (p < cfg + CONFIG_BYTES && *p) {
    char *nl = strchr(p, '\n');
    if (!nl) break;
    *nl = 0;
    char *eq = strchr(p, '=');
    if (eq) {
      *eq = 0;
      const char *v = eq + 1;
      if (!strcmp(p, "socket")) snprintf(socket_path, sizeof socket_path, "%s", v);
      else if (!strcmp(p, "versions")) snprintf(versions, sizeof versions, "%s", v);
      else if (!strcmp(p, "delSpool")) snprintf(spool_dir, sizeof spool_dir, "%s", v);
      else if (!strcmp(p, "launch")) snprintf(launch_path, sizeof launch_path, "%s", v);
    }
    p = nl + 1;
  }
  const char *s = getenv("TSCNI_SOCKET");
  if (s && *s) snprintf(socket_path, sizeof socket_path, "%s", s);
}

/* ---- JSON: just enough to read a top-level "cniVersion" string, as JSON.parse(stdin).cniVersion would ---- */

static const char *ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* A string starting at p ('"'); returns the end (past the closing quote) or NULL. */
static const char *jstring(const char *p, const char *e, int *escaped) {
  *escaped = 0;
  for (p++; p < e; p++) {
    if (*p == '\\') {
      *escaped = 1;
      if (++p >= e) return NULL;
    } else if (*p == '"') return p + 1;
    else if ((unsigned char)*p < 0x20) return NULL;
  }
  return NULL;
}

static const char *jvalue(const char *p, const char *e, int depth) {
  int esc;
  p = ws(p, e);
  if (p >= e || depth > 512) return NULL;
  if (*p == '"') return jstring(p, e, &esc);
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    int object = *p == '{';
    p = ws(p + 1, e);
    if (p < e && *p == close) return p + 1;
    for (;;) {
      if (object) {
        p = ws(p, e);
        if (p >= e || *p != '"' || !(p = jstring(p, e, &esc))) return NULL;
        p = ws(p, e);
        if (p >= e || *p != ':') return NULL;
        p++;
      }
      if (!(p = jvalue(p, e, depth + 1))) return NULL;
      p = ws(p, e);
      if (p >= e) return NULL;
      if (*p == close) return p + 1;
      if (*p != ',') return NULL;
      p++;
    }
  }
  const char *s = p;
  while (p < e && (strchr("+-.0123456789eE", *p) || (*p >= 'a' && *p <= 'z'))) p++;
  size_t n = (size_t)(p - s);
  if (n == 0) return NULL;
  if ((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5)) || (n == 4 && !memcmp(s, "null", 4))) return p;
  char tmp[64];
  if (n >= sizeof tmp || !strchr("-0123456789", *s)) return NULL;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  char *end;
  strtod(tmp, &end);
  return *end ? NULL : p;
}

/* The top-level cniVersion when it is a plain string; "" otherwise (including invalid JSON). */
static void config_version(const char *doc, size_t len, char *out, size_t outlen) {
  const char *p = ws(doc, doc + len), *e = doc + len;
  int esc;
  out[0] = 0;
  char found[64] = "";
  if (p >= e || *p != '{') return;
  p = ws(p + 1, e);
  if (p < e && *p == '}') goto done;
  for (;;) {
    if (p >= e || *p != '"') return;
    const char *ks = p + 1, *ke = jstring(p, e, &esc);
    if (!ke) return;
    int is_version = !esc && ke - ks - 1 == 10 && !memcmp(ks, "cniVersion", 10);
    p = ws(ke, e);
    if (p >= e || *p != ':') return;
    p = ws(p + 1, e);
    const char *vs = p, *ve = jvalue(p, e, 0);
    if (!ve) return;
    if (is_version) {
      found[0] = 0;
      /* Last key wins, as in JSON.parse. Escaped or long strings are never a supported version. */
      if (*vs == '"' && jstring(vs, e, &esc) && !esc && (size_t)(ve - vs - 2) < sizeof found) {
        memcpy(found, vs + 1, (size_t)(ve - vs - 2));
        found[ve - vs - 2] = 0;
      } else {
        strcpy(found, "\x01"); /* present but not a usable string */
      }
    }
    p = ws(ve, e);
    if (p >= e) return;
    if (*p == '}') {
      p++;
      break;
    }
    if (*p != ',') return;
    p = ws(p + 1, e);
  }
done:
  if (ws(p, e) != e) return;
  snprintf(out, outlen, "%s", found[0] == 1 ? "" : found);
}

static int supported(const char *v) {
  if (!*v) return 0;
  size_t n = strlen(v);
  for (const char *p = versions; *p;) {
    const char *c = strchr(p, ',');
    size_t m = c ? (size_t)(c - p) : strlen(p);
    if (m == n && !memcmp(p, v, n)) return 1;
    if (!c) break;
    p = c + 1;
  }
  return 0;
}

static const char *newest(void) {
  static char last[64];
  const char *c = strrchr(versions, ',');
  snprintf(last, sizeof last, "%s", c ? c + 1 : versions);
  return last;
}

/* ---- output ---- */

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void json_escaped(struct buf *b, const char *s) {
  for (; *s; s++) {
    char t[8];
    if (*s == '"' || *s == '\\') {
      t[0] = '\\';
      t[1] = *s;
      buf_put(b, t, 2);
    } else if ((unsigned char)*s < 0x20) {
      snprintf(t, sizeof t, "\\u%04x", (unsigned char)*s);
      buf_put(b, t, 6);
    } else buf_put(b, s, 1);
  }
}

/* A CNI error object on stdout (the shape skel prints) and exit status 1. */
static int fail(const char *version, int code, const char *details, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct buf b = {0};
  buf_put(&b, "{\n    \"cniVersion\": \"", 21);
  json_escaped(&b, version);
  char code_s[64];
  int n = snprintf(code_s, sizeof code_s, "\",\n    \"code\": %d,\n    \"msg\": \"", code);
  buf_put(&b, code_s, (size_t)n);
  json_escaped(&b, msg);
  if (details) {
    buf_put(&b, "\",\n    \"details\": \"", 19);
    json_escaped(&b, details);
  }
  buf_put(&b, "\"\n}\n", 4);
  write_all(1, b.data, b.len);
  return 1;
}

/* ---- stdin ---- */

/* Everything on stdin; with wait_ms >= 0, only what arrives within that time (VERSION may get an open stdin). */
static int read_stdin(struct buf *b, long wait_ms) {
  long long deadline = now_ms() + wait_ms;
  char chunk[65536];
  for (;;) {
    if (wait_ms >= 0) {
      long long left = deadline - now_ms();
      struct pollfd pfd = {0, POLLIN, 0};
      if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) return 0;
    }
    ssize_t n = read(0, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EBADF ? 0 : -1;
    if (n == 0) return 0;
    if (b->len + (size_t)n > MAX_BYTES) return -2;
    if (buf_put(b, chunk, (size_t)n)) return -1;
  }
}

/* ---- the daemon ---- */

static int wait_fd(int fd, short events, long long deadline) {
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0) return -1;
    struct pollfd pfd = {fd, events, 0};
    int r = poll(&pfd, 1, (int)left);
    if (r > 0) return 0;
    if (r < 0 && errno != EINTR) return -1;
  }
}

/* Connected socket, or -1 with `why` filled in. */
static int connect_daemon(long timeout_ms, char *why, size_t whylen) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (!*socket_path) {
    snprintf(why, whylen, "no socket path is configured (set TSCNI_SOCKET or reinstall the shim)");
    return -1;
  }
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    snprintf(why, whylen, "socket: %s", strerror(errno));
    return -1;
  }
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
  if (errno == EAGAIN || errno == EINPROGRESS) {
    /* The daemon's backlog is full: wait for room, bounded. */
    long long deadline = now_ms() + timeout_ms;
    while (now_ms() < deadline) {
      struct timespec ts = {0, 20 * 1000000};
      nanosleep(&ts, NULL);
      if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 || errno == EISCONN) return fd;
      if (errno != EAGAIN && errno != EINPROGRESS && errno != EALREADY) break;
    }
    if (errno == EAGAIN || errno == EINPROGRESS || errno == EALREADY) {
      snprintf(why, whylen, "connect timed out after %ld ms", timeout_ms);
      close(fd);
      return -1;
    }
  }
  snprintf(why, whylen, "connect: %s", strerror(errno));
  close(fd);
  return -1;
}

struct answer {
  int http_status;
  int exit_status; /* -1: no X-Tscni-Exit header */
  struct buf body;
};

/* 0 on a complete answer; -1 with `why` otherwise. */
static int exchange(int fd, const struct buf *req, long long deadline, struct answer *a, char *why, size_t whylen) {
  size_t off = 0;
  while (off < req->len) {
    if (wait_fd(fd, POLLOUT, deadline)) {
      snprintf(why, whylen, "no answer within the request timeout");
      return -1;
    }
    ssize_t w = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (w < 0) break; /* the daemon may have answered and closed (a refusal): read it */
    off += (size_t)w;
  }
  struct buf in = {0};
  char chunk[65536];
  for (;;) {
    if (wait_fd(fd, POLLIN, deadline)) {
      snprintf(why, whylen, "no answer within the request timeout");
      free(in.data);
      return -1;
    }
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    if (in.len + (size_t)n > MAX_BYTES + 65536) {
      snprintf(why, whylen, "the answer exceeds %u bytes", MAX_BYTES);
      free(in.data);
      return -1;
    }
    buf_put(&in, chunk, (size_t)n);
    char *head_end = in.data ? strstr(in.data, "\r\n\r\n") : NULL;
    if (head_end) {
      /* Content-Length known: stop as soon as the body is complete. */
      char *cl = strcasestr(in.data, "\r\ncontent-length:");
      if (cl && cl < head_end) {
        size_t want = (size_t)strtoul(cl + 17, NULL, 10);
        if (in.len - (size_t)(head_end + 4 - in.data) >= want) break;
      }
    }
  }
  char *head_end = in.data ? strstr(in.data, "\r\n\r\n") : NULL;
  if (!head_end || strncmp(in.data, "HTTP/1.", 7)) {
    snprintf(why, whylen, "the connection closed before a complete answer");
    free(in.data);
    return -1;
  }
  *head_end = 0;
  a->http_status = atoi(in.data + 9);
  a->exit_status = -1;
  char *ex = strcasestr(in.data, "\r\nx-tscni-exit:");
  if (ex) a->exit_status = atoi(ex + 15);
  size_t body_len = in.len - (size_t)(head_end + 4 - in.data);
  char *cl = strcasestr(in.data, "\r\ncontent-length:");
  if (cl) {
    size_t want = (size_t)strtoul(cl + 17, NULL, 10);
    if (body_len < want) {
      snprintf(why, whylen, "the connection closed before a complete answer");
      free(in.data);
      return -1;
    }
    body_len = want;
  }
  a->body = (struct buf){0};
  buf_put(&a->body, head_end + 4, body_len);
  free(in.data);
  return 0;
}

/* The DEL written to the spool dir (temp name, fsync, rename, fsync dir); 0 on success. */
static int spool_del(const struct buf *body, size_t env_bytes, char *why, size_t whylen) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char name[1200], tmp[1300];
  snprintf(name, sizeof name, "%s/%lld%09ld-%d.del", spool_dir, (long long)ts.tv_sec, ts.tv_nsec, (int)getpid());
  snprintf(tmp, sizeof tmp, "%s/.tmp-%lld%09ld-%d", spool_dir, (long long)ts.tv_sec, ts.tv_nsec, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    snprintf(why, whylen, "cannot spool the DEL in %s: %s", spool_dir, strerror(errno));
    return -1;
  }
  char head[400];
  int n = snprintf(head, sizeof head, "tscni-del-v1 %s %zu\n", plugin, env_bytes);
  write_all(fd, head, (size_t)n);
  write_all(fd, body->data, body->len);
  int ok = fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, name)) {
    snprintf(why, whylen, "cannot spool the DEL in %s: %s", spool_dir, strerror(errno));
    unlink(tmp);
    return -1;
  }
  int dfd = open(spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ok = fsync(dfd) == 0;
    close(dfd);
  }
  if (!ok) {
    snprintf(why, whylen, "cannot fsync the spool dir %s: %s", spool_dir, strerror(errno));
    return -1;
  }
  return 0;
}

/* ---- accept mode: the daemon's front door ----
 *
 * Node has no getsockopt, so the daemon runs this binary as a child
 * (`tscni-shim --accept PATH | --accept-fd N`, with a Node IPC channel): it
 * owns the listening socket, checks each peer with SO_PEERCRED (root or our
 * own uid), answers anyone else with a refusal and a log line, and hands the
 * accepted connection to the daemon over the channel the way Node's own
 * child.send(message, socket) does (with the peer's pid, uid and network
 * namespace): one JSON line with the fd as SCM_RIGHTS,
 * the next only after the daemon's NODE_HANDLE_ACK.
 */
static volatile sig_atomic_t stopping;
static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

static void refuse(int fd, const struct ucred *cred) {
  char body[512], msg[1024];
  int bn = snprintf(body, sizeof body,
                    "{\n    \"cniVersion\": \"1.1.0\",\n    \"code\": 4,\n    \"msg\": \"the tscni daemon refuses callers with uid %u: only root and uid %u may use it\"\n}\n",
                    (unsigned)cred->uid, (unsigned)getuid());
  int n = snprintf(msg, sizeof msg, "HTTP/1.1 403 Forbidden\r\nX-Tscni-Exit: 1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", bn, body);
  write_all(fd, msg, (size_t)n);
  fprintf(stderr, "tscni daemon: refused a connection from pid %d uid %u gid %u (only root and uid %u may connect)\n", (int)cred->pid,
          (unsigned)cred->uid, (unsigned)cred->gid, (unsigned)getuid());
}

/*
 * The caller's network namespace as "net:[inode]", for the daemon to run the
 * request's host side there (an exec'd plugin acts in its runtime's); empty
 * when it cannot be known: pid 0 (the caller's pid namespace is not ours, as
 * in a pod without hostPID) or a /proc entry we may not stat. -1 when the
 * caller is gone: its request must not run in some other namespace, and
 * nobody waits for the answer.
 */
static int peer_netns(const struct ucred *cred, char *out, size_t size) {
  char path[64];
  struct stat st;
  out[0] = 0;
  if (cred->pid <= 0) return 0;
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)cred->pid);
  if (stat(path, &st) == 0) {
    snprintf(out, size, "net:[%lu]", (unsigned long)st.st_ino);
    return 0;
  }
  return errno == ENOENT || errno == ESRCH ? -1 : 0;
}

/* One line with the connection attached; 0 when the channel took it. */
static int hand_over(int channel, int fd, const struct ucred *cred, const char *netns) {
  char line[256];
  int n = snprintf(line, sizeof line, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"tscniPeer\":{\"pid\":%d,\"uid\":%u,\"netns\":\"%s\"}}}\n",
                   (int)cred->pid, (unsigned)cred->uid, netns);
  struct iovec iov = {line, (size_t)n};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  for (;;) {
    ssize_t w = sendmsg(channel, &mh, MSG_NOSIGNAL);
    if (w == n) return 0;
    if (w < 0 && errno == EINTR) continue;
    return -1;
  }
}

static int accept_main(int argc, char **argv) {
  const char *cfd = getenv("NODE_CHANNEL_FD");
  int channel = cfd && *cfd ? atoi(cfd) : -1;
  if (argc != 3 || channel < 0) {
    fprintf(stderr, "tscni-shim: --accept PATH and --accept-fd N are for the tscni daemon, which runs them with a Node IPC channel\n");
    return 2;
  }
  int lfd;
  if (!strcmp(argv[1], "--accept-fd")) {
    lfd = atoi(argv[2]);
  } else {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[2]) >= sizeof addr.sun_path) {
      fprintf(stderr, "tscni daemon: socket path %s is too long\n", argv[2]);
      return 1;
    }
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[2]);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* Created 0600 from the start (umask), so no other uid ever sees it open. */
    mode_t old = umask(0177);
    int r = lfd < 0 ? -1 : bind(lfd, (struct sockaddr *)&addr, sizeof addr);
    umask(old);
    if (r < 0 || listen(lfd, 511) < 0) {
      fprintf(stderr, "tscni daemon: cannot listen on %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
  }
  struct sigaction sa = {.sa_handler = on_stop};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* A refused caller that hangs up before its refusal is written must not take the front door down with it. */
  signal(SIGPIPE, SIG_IGN);
  const char ready[] = "{\"tscniListening\":true}\n";
  write_all(channel, ready, sizeof ready - 1);
  int awaiting_ack = 0;
  char in[4096];
  size_t have = 0;
  while (!stopping) {
    struct pollfd p[2] = {{channel, POLLIN, 0}, {lfd, awaiting_ack ? 0 : POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (p[0].revents) {
      ssize_t n = read(channel, in + have, sizeof in - have - 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0; /* the daemon is gone: so is its front door */
      have += (size_t)n;
      in[have] = 0;
      char *nl;
      while ((nl = strchr(in, '\n'))) {
        *nl = 0;
        if (strstr(in, "\"NODE_HANDLE_ACK\"") || strstr(in, "\"NODE_HANDLE_NACK\"")) awaiting_ack = 0;
        have -= (size_t)(nl + 1 - in);
        memmove(in, nl + 1, have + 1);
      }
      if (have == sizeof in - 1) have = 0; /* a line we do not read: drop it */
    }
    if (!awaiting_ack && (p[1].revents & POLLIN)) {
      int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0) continue;
      struct ucred cred;
      socklen_t len = sizeof cred;
      if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        close(fd);
        continue;
      }
      if (cred.uid != 0 && cred.uid != getuid()) {
        refuse(fd, &cred);
        close(fd);
        continue;
      }
      char netns[48];
      if (peer_netns(&cred, netns, sizeof netns) < 0) {
        fprintf(stderr, "tscni daemon: dropped a connection from pid %d, which exited before it was accepted\n", (int)cred.pid);
        close(fd);
        continue;
      }
      if (hand_over(channel, fd, &cred, netns)) return 1;
      close(fd);
      awaiting_ack = 1;
    }
  }
  return 0;
}

/* Launcher mode: only reached when the exec failed (the bundle is gone, or its #! interpreter is missing). */
static int launch(char **argv) {
  execv(launch_path, argv);
  int err = errno;
  struct buf in = {0};
  const char *command = getenv("CNI_COMMAND");
  read_stdin(&in, command && !strcmp(command, "VERSION") ? 100 : -1);
  char asked[64];
  config_version(in.data ? in.data : "", in.len, asked, sizeof asked);
  return fail(supported(asked) ? asked : newest(), 999, strerror(err), "plugin %s cannot start: exec of its bundle %s failed (%s): reinstall it with tscni install",
              plugin, launch_path, err == ENOENT ? "the file or its #! interpreter (node) is not there" : strerror(err));
}

int main(int argc, char **argv) {
  if (argc >= 2 && (!strcmp(argv[1], "--accept") || !strcmp(argv[1], "--accept-fd"))) return accept_main(argc, argv);
  if (argc == 2 && !strcmp(argv[1], "--spawner")) return spawner_main();
  const char *base = strrchr(argv[0], '/');
  snprintf(plugin, sizeof plugin, "%s", base ? base + 1 : argv[0]);
  load_config();
  if (!*versions) snprintf(versions, sizeof versions, "0.1.0,0.2.0,0.3.0,0.3.1,0.4.0,1.0.0,1.1.0");
  /* Before any signal setting: an ignored SIGPIPE would outlive the exec. argv[0] stays the runtime's. */
  if (*launch_path) return launch(argv);
  signal(SIGPIPE, SIG_IGN);
  const char *command = getenv("CNI_COMMAND");

  struct buf stdin_buf = {0};
  if (command && !strcmp(command, "VERSION")) {
    /* As skel: take stdin only if it comes within 100 ms; echo its version when supported, else the newest. */
    read_stdin(&stdin_buf, 100);
    char asked[64];
    config_version(stdin_buf.data ? stdin_buf.data : "", stdin_buf.len, asked, sizeof asked);
    struct buf b = {0};
    buf_put(&b, "{\"cniVersion\":\"", 15);
    buf_put(&b, supported(asked) ? asked : newest(), strlen(supported(asked) ? asked : newest()));
    buf_put(&b, "\",\"supportedVersions\":[", 23);
    for (const char *p = versions; *p;) {
      const char *c = strchr(p, ',');
      size_t m = c ? (size_t)(c - p) : strlen(p);
      buf_put(&b, p == versions ? "\"" : ",\"", p == versions ? 1 : 2);
      buf_put(&b, p, m);
      buf_put(&b, "\"", 1);
      if (!c) break;
      p = c + 1;
    }
    buf_put(&b, "]}\n", 3);
    write_all(1, b.data, b.len);
    return 0;
  }

  int rs = command && *command ? read_stdin(&stdin_buf, -1) : 0;
  char asked[64];
  config_version(stdin_buf.data ? stdin_buf.data : "", stdin_buf.len, asked, sizeof asked);
  const char *errv = supported(asked) ? asked : newest();
  if (rs == -2) return fail(errv, 5, NULL, "error reading from stdin: the network configuration exceeds %u bytes", MAX_BYTES);
  if (rs < 0) return fail(errv, 5, NULL, "error reading from stdin: %s", strerror(errno));

  /* Body: the environment as NUL-terminated KEY=VALUE entries, then stdin's bytes. */
  struct buf body = {0};
  for (char **e = environ; *e; e++) buf_put(&body, *e, strlen(*e) + 1);
  size_t env_bytes = body.len;
  if (stdin_buf.len) buf_put(&body, stdin_buf.data, stdin_buf.len);
  if (body.len > MAX_BYTES) return fail(errv, 5, NULL, "the request (environment and network configuration) exceeds %u bytes", MAX_BYTES);

  struct buf req = {0};
  char head[1024];
  int n = snprintf(head, sizeof head,
                   "POST " ROUTE "%s HTTP/1.1\r\nHost: tscni\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"
                   "X-Tscni-Env-Bytes: %zu\r\nContent-Length: %zu\r\n\r\n",
                   plugin, env_bytes, body.len);
  buf_put(&req, head, (size_t)n);
  buf_put(&req, body.data ? body.data : "", body.len);

  long connect_ms = env_ms("TSCNI_CONNECT_TIMEOUT_MS", 2000);
  long request_ms = env_ms("TSCNI_REQUEST_TIMEOUT_MS", 60000);
  long long deadline = now_ms() + request_ms;
  char why[512] = "";
  struct answer a;
  int fd = connect_daemon(connect_ms < request_ms ? connect_ms : request_ms, why, sizeof why);
  if (fd >= 0) {
    int r = exchange(fd, &req, deadline, &a, why, sizeof why);
    close(fd);
    if (r == 0 && a.exit_status >= 0) {
      write_all(1, a.body.data ? a.body.data : "", a.body.len);
      return a.exit_status;
    }
    if (r == 0) {
      /* An answer without our header: not a tscni daemon of this protocol (a version skew). */
      return fail(errv, 101, NULL, "the daemon at %s does not serve " ROUTE " (HTTP %d): the shim and the daemon come from different tscni versions",
                  socket_path, a.http_status);
    }
  }

  /* The daemon is not there, or did not answer in time. */
  if (!command || !*command) {
    fprintf(stderr, "CNI %s plugin (tscni daemon-mode shim; daemon at %s unreachable: %s)\nCNI protocol versions supported: ", plugin, socket_path, why);
    for (const char *p = versions; *p; p++) fputs(*p == ',' ? ", " : (char[]){*p, 0}, stderr);
    fputc('\n', stderr);
    return 0;
  }
  if (!strcmp(command, "STATUS"))
    return fail(errv, 50, why, "the tscni daemon at %s is not available: %s", socket_path, why);
  const char *spool_env = getenv("TSCNI_DEL_SPOOL");
  if (spool_env && *spool_env) snprintf(spool_dir, sizeof spool_dir, "%s", spool_env);
  if (!strcmp(command, "DEL") && *spool_dir) {
    char why2[512];
    if (spool_del(&body, env_bytes, why2, sizeof why2) == 0) return 0;
    return fail(errv, 11, why2, "the tscni daemon at %s is not available (%s) and the DEL could not be spooled", socket_path, why);
  }
  return fail(errv, 11, why, "the tscni daemon at %s is not available, try again later: %s", socket_path, why);
}
