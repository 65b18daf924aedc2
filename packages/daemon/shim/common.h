/* What the shim's modes share: a growable byte buffer and a monotonic clock. */
#ifndef TSCNI_SHIM_COMMON_H
#define TSCNI_SHIM_COMMON_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct buf {
  char *data;
  size_t len, cap;
};

/* Appends n bytes and keeps a NUL after them; -1 when out of memory. */
static inline int buf_put(struct buf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
  return 0;
}

static inline long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
