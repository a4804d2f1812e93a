/* The TCP load of bench/engine-cost.sh, run inside its namespaces (built there with cc -O2):
 *
 *   tcp-load serve PORT N        accepts on PORTs PORT..PORT+N-1; each connection is closed at once
 *                                (the server closes first, so the client's port is free again at
 *                                once and TIME_WAIT stays on the server)
 *   tcp-load echo PORT           echoes every byte of each connection back, one at a time
 *   tcp-load rate HOST PORT N S  opens and closes connections to PORT..PORT+N-1 in turn, one at a
 *                                time, as fast as one sender can, for S seconds; prints
 *                                "connections DISTINCT failed F seconds T per_second R", DISTINCT
 *                                counting each (source port, destination port) once
 *   tcp-load pingpong HOST PORT N  N round trips of 64 bytes on one connection (TCP_NODELAY);
 *                                prints "p50_us X p99_us Y"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int rate(const char *host, int port, int n, double seconds)
{
	static uint8_t seen[MAX_PORTS][65536 / 8];
	long distinct = 0, failed = 0;
	struct sockaddr_in a = peer(host, port), local;
	double start = now_s(), end = start + seconds;
	for (long i = 0; now_s() < end; i++) {
		int p = port + (int)(i % n);
		socklen_t len = sizeof(local);
		a.sin_port = htons(p);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0)
			die("socket");
		char b;
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(s, (struct sockaddr *)&local, &len) != 0) {
			failed++;
		} else {
			uint16_t sport = ntohs(local.sin_port);
			uint8_t bit = 1u << (sport % 8);
			if (!(seen[p - port][sport / 8] & bit)) {
				seen[p - port][sport / 8] |= bit;
				distinct++;
			}
			while (read(s, &b, 1) > 0) /* until the server's FIN */
				;
		}
		close(s);
	}
	double took = now_s() - start;
	printf("connections %ld failed %ld seconds %.3f per_second %.0f\n", distinct, failed, took, distinct / took);
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
