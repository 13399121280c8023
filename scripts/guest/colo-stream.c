/*
 * colo test guest: the stream service, a long-lived TCP stream a test can watch across a failover.
 * Built static by scripts/build-guest.sh and started by /init as `colo-stream PORT BOOTID`.
 *
 * On each connection it sends one line every 100 ms, `seq=N boot=ID\n`, N counting from 1 per
 * connection, ID the guest's boot id (the same on both sides of a COLO pair: the secondary is a copy
 * of the primary's memory). It never reads; a connection ends when a write fails (the peer is gone).
 *
 * Made for COLO's packet compare, which checkpoints whenever the two copies' packets differ:
 * - each line goes out with ONE write() and TCP_NODELAY, so a line is one TCP segment, sent at once
 *   (no Nagle coalescing that depends on when the peer's ACKs arrive);
 * - the lines follow an absolute schedule on CLOCK_MONOTONIC (connection time + (N-1) * 100 ms), not
 *   a sleep after each write: after a checkpoint both copies have the same clock and the same
 *   schedule, so they send the same bytes at the same guest times. If the schedule is more than one
 *   period behind (the guest was paused), it restarts from now instead of sending a burst.
 * Each connection is served by its own child process; several connections run side by side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_NS 100000000L /* 100 ms */
#define NS_PER_S 1000000000L

static void add_ns(struct timespec *t, long ns) {
  t->tv_nsec += ns;
  while (t->tv_nsec >= NS_PER_S) {
    t->tv_nsec -= NS_PER_S;
    t->tv_sec++;
  }
}

/* a - b in nanoseconds (small differences only) */
static long long diff_ns(const struct timespec *a, const struct timespec *b) {
  return (long long)(a->tv_sec - b->tv_sec) * NS_PER_S + (a->tv_nsec - b->tv_nsec);
}

/* All of buf, normally in one write(); 0 on success, -1 when the peer is gone. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static void serve(int fd, const char *bootid) {
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  char line[128];
  for (unsigned long seq = 1;; seq++) {
    int len = snprintf(line, sizeof line, "seq=%lu boot=%s\n", seq, bootid);
    if (len <= 0 || (size_t)len >= sizeof line || write_all(fd, line, (size_t)len) != 0) return;
    add_ns(&next, PERIOD_NS);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (diff_ns(&now, &next) > PERIOD_NS) next = now; /* paused for long: no burst */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
    }
  }
}

/* The boot id: 1..64 characters of [0-9a-zA-Z-]. */
static int valid_bootid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 64) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: colo-stream PORT BOOTID\n");
    return 2;
  }
  char *end;
  long port = strtol(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || port < 1 || port > 65535) {
    fprintf(stderr, "colo-stream: bad port %s\n", argv[1]);
    return 2;
  }
  const char *bootid = argv[2];
  if (!valid_bootid(bootid)) {
    fprintf(stderr, "colo-stream: bad boot id\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN); /* a write to a closed connection fails with EPIPE instead */
  signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */

  int srv = socket(AF_INET, SOCK_STREAM, 0);
  if (srv < 0) {
    perror("colo-stream: socket");
    return 1;
  }
  int one = 1;
  (void)setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons((unsigned short)port);
  if (bind(srv, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(srv, 16) != 0) {
    perror("colo-stream: bind/listen");
    return 1;
  }
  for (;;) {
    int fd = accept(srv, NULL, NULL);
    if (fd < 0) {
      if (errno != EINTR) usleep(100000); /* e.g. out of descriptors: try again shortly */
      continue;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(srv);
      serve(fd, bootid);
      _exit(0);
    }
    close(fd); /* the child has it (or fork failed: drop the connection) */
  }
}
