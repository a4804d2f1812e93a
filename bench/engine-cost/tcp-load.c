/* The TCP load of bench/engine-cost.sh, run inside its namespaces (built there with cc -O2):
 *
 *   tcp-load serve PORT N        accepts on PORTs PORT..PORT+N-1; each connection is closed at once
 *                                (the server closes first, so the client's port is free again at
 *                                once and TIME_WAIT stays on the server)
 *   tcp-load echo PORT           echoes every byte of each connection back, one at a time
 *   tcp-load rate HOST PORT N S  opens connections to PORT..PORT+N-1 in turn, as fast as one
 *                                sender can (one thread, 64 in flight, each closed at the server's
 *                                FIN), for S seconds; prints "connections C distinct D failed F
 *                                seconds T per_second R": C connections established, D of them
 *                                on distinct (source port, destination port) tuples (the kernel
 *                                gives a port again while the server's socket of its last
 *                                connection is in TIME_WAIT, which takes the new SYN), R = C / T
 *   tcp-load pingpong HOST PORT N  N round trips of 64 bytes on one connection (TCP_NODELAY);
 *                                prints "p50_us X p99_us Y"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 64
#define MESSAGE 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "tcp-load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int listener(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 4096) != 0)
		die("listen");
	return s;
}

static struct sockaddr_in peer(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "tcp-load: not an IPv4 address: %s\n", host);
		exit(2);
	}
	return a;
}

static void __attribute__((noreturn)) serve(int port, int n)
{
	struct pollfd fds[MAX_PORTS];
	for (int i = 0; i < n; i++)
		fds[i] = (struct pollfd){ .fd = listener(port + i), .events = POLLIN };
	for (;;) {
		if (poll(fds, n, -1) < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; i < n; i++) {
			if (!(fds[i].revents & POLLIN))
				continue;
			int c = accept(fds[i].fd, NULL, NULL);
			if (c >= 0)
				close(c);
		}
	}
}

static void __attribute__((noreturn)) echo(int port)
{
	int s = listener(port);
	char buf[4096];
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		ssize_t got;
		while ((got = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, got) != got)
				break;
		close(c);
	}
}

/* One sender: IN_FLIGHT non-blocking connections at a time, each replaced as soon as the
 * server's FIN arrives, so the rate is not bounded by one connection's round trips. */
#define IN_FLIGHT 64

/* Starts a connection to `dport` in `slot`; false when connect failed at once. */
static bool open_one(int ep, struct sockaddr_in *a, int dport, int slot)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s < 0)
		die("socket");
	a->sin_port = htons(dport);
	if (connect(s, (struct sockaddr *)a, sizeof(*a)) != 0 && errno != EINPROGRESS) {
		close(s);
		return false;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLOUT, .data.u64 = ((uint64_t)slot << 32) | (uint32_t)s };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) != 0)
		die("epoll_ctl");
	return true;
}

static int rate(const char *host, int port, int n, double seconds)
{
	static uint8_t seen[MAX_PORTS][65536 / 8];
	long established = 0, distinct = 0, failed = 0, next = 0;
	struct sockaddr_in a = peer(host, port), local;
	int ep = epoll_create1(0), open_now = 0;
	bool counted[IN_FLIGHT] = { false };
	int dport[IN_FLIGHT];
	double start = now_s(), end = start + seconds;
	if (ep < 0)
		die("epoll_create1");
	for (int slot = 0; slot < IN_FLIGHT; slot++) {
		dport[slot] = port + (int)(next++ % n);
		if (open_one(ep, &a, dport[slot], slot))
			open_now++;
		else
			failed++;
	}
	while (open_now > 0) {
		struct epoll_event evs[IN_FLIGHT];
		int got = epoll_wait(ep, evs, IN_FLIGHT, 1000);
		if (got < 0 && errno != EINTR)
			die("epoll_wait");
		bool more = now_s() < end;
		for (int i = 0; i < got; i++) {
			int s = (int)(uint32_t)evs[i].data.u64, slot = (int)(evs[i].data.u64 >> 32);
			socklen_t len = sizeof(local);
			if (!counted[slot] && (evs[i].events & EPOLLOUT) && !(evs[i].events & EPOLLERR) &&
			    getsockname(s, (struct sockaddr *)&local, &len) == 0) {
				uint16_t sport = ntohs(local.sin_port);
				uint8_t bit = 1u << (sport % 8);
				counted[slot] = true;
				established++;
				if (!(seen[dport[slot] - port][sport / 8] & bit)) {
					seen[dport[slot] - port][sport / 8] |= bit;
					distinct++;
				}
				struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data = evs[i].data };
				epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
				continue;
			/* The server's FIN (or a failure): this connection is done; open the next. */
			if (!counted[slot])
				failed++;
			close(s);
			open_now--;
			counted[slot] = false;
			if (!more)
				continue;
			dport[slot] = port + (int)(next++ % n);
			if (open_one(ep, &a, dport[slot], slot))
				open_now++;
			else
				failed++;
		}
	}
	double took = now_s() - start;
	printf("connections %ld distinct %ld failed %ld seconds %.3f per_second %.0f\n", established, distinct, failed, took, established / took);
	return 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int pingpong(const char *host, int port, int n)
{
	struct sockaddr_in a = peer(host, port);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (s < 0 || setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("connect");
	double *rtt = calloc(n, sizeof(double));
	char msg[MESSAGE] = { 0 };
	for (int i = 0; i < n; i++) {
		double t = now_s();
		if (write(s, msg, sizeof(msg)) != sizeof(msg))
			die("write");
		for (size_t got = 0; got < sizeof(msg);) {
			ssize_t r = read(s, msg + got, sizeof(msg) - got);
			if (r <= 0)
				die("read");
			got += r;
		}
		rtt[i] = (now_s() - t) * 1e6;
	}
	qsort(rtt, n, sizeof(double), by_value);
	printf("p50_us %.1f p99_us %.1f\n", rtt[n / 2], rtt[(int)(n * 0.99)]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0 && atoi(argv[3]) >= 1 && atoi(argv[3]) <= MAX_PORTS)
		serve(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		echo(atoi(argv[2]));
	if (argc == 6 && strcmp(argv[1], "rate") == 0 && atoi(argv[4]) >= 1 && atoi(argv[4]) <= MAX_PORTS)
		return rate(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]));
	if (argc == 5 && strcmp(argv[1], "pingpong") == 0 && atoi(argv[4]) >= 100)
		return pingpong(argv[2], atoi(argv[3]), atoi(argv[4]));
	fputs("usage: tcp-load serve PORT N | echo PORT | rate HOST PORT N SECONDS | pingpong HOST PORT N (N >= 100)\n", stderr);
	return 2;
}
