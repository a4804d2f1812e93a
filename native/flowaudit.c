/* flowaudit-loader: loads the kernel side (flowaudit.bpf.c), attaches it to the interfaces
 * chosen (following them as they come and go), and streams flows, payload chunks, counters and
 * interface changes on stdout (event-stream.h). The only privileged piece of the eBPF engine;
 * docs/ebpf.md. Sequence: options, capabilities, open, configure, load, ring buffer, links,
 * loop; every fatal failure prints one line to stderr and goes to `cleanup`, which undoes what
 * this run attached. */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <linux/capability.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowaudit.h"
#include "flowaudit.skel.h"
#include "event-stream.h"
#include "hook.h"
#include "netlink-links.h"

enum exit_code { EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 3 };

#define MAX_PATTERNS 64
#define BATCH 1024

struct options {
	const char *patterns[MAX_PATTERNS]; /* fnmatch(3) patterns of interface names */
	int n_patterns;
	const char *kinds[MAX_PATTERNS];    /* link kinds (veth, bridge, ...) */
	int n_kinds;
	enum fa_attach_mode attach;
	__u32 max_flows;
	__u32 ring_bytes;
	__u32 payload_limit;
	__u32 interval_ms;
	__u32 idle_timeout_s;
	__u32 closed_timeout_s;
	bool verbose;
};

struct attached {
	struct fa_hook hook;
	char name[IF_NAMESIZE];
	bool used;
};

/* A closed connection the ring buffer reported while a sweep read the map (reused_seen). */
struct reused {
	struct fa_flow_key key;
	__u64 first_ns;
};

struct loader {
	struct options opt;
	struct flowaudit_bpf *skel;
	struct ring_buffer *ring;
	int prog_fd[2];
	enum fa_attach_mode mode;
	struct attached *ifaces;
	int n_ifaces;
	bool stream_gone;
	__u64 evicted;
	__u64 last_sweep_boot_ns;
	/* Unix time minus boot time, added to the kernel's boot-clock times (read_boot_to_unix). */
	__s64 boot_to_unix_ns;
	struct fa_flow_key *keys;
	struct fa_flow *values;
	/* While a sweep drains the ring buffer: the reused connections it reports (sorted after). */
	bool collect_reused;
	struct reused *reused;
	int n_reused, cap_reused;
};

static void fatal_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fatal_line(const char *fmt, ...)
{
	va_list ap;
	fputs("flowaudit-loader: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fputs("usage: flowaudit-loader [-i PATTERN]... [--kind KIND]... [--attach auto|tcx|tc]\n"
	      "         [--max-flows N] [--ring-bytes N] [--payload-limit N] [--interval-ms N]\n"
	      "         [--idle-timeout S] [--closed-timeout S] [--verbose]\n"
	      "Attaches to interfaces whose name matches a PATTERN (fnmatch: 'veth*') or whose link\n"
	      "kind is KIND (veth, bridge); with neither, to every non-loopback Ethernet interface.\n"
	      "Streams length-delimited flowaudit.loader.Event messages on stdout (proto/flowaudit.proto).\n",
	      out);
}

static bool parse_u32(const char *text, __u32 min, __u32 max, __u32 *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text || v < min || v > max)
		return false;
	*out = (__u32)v;
	return true;
}

/* Returns 0, or the exit code to leave with. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "interface", required_argument, 0, 'i' }, { "kind", required_argument, 0, 'k' },
		{ "attach", required_argument, 0, 'a' },    { "max-flows", required_argument, 0, 'm' },
		{ "ring-bytes", required_argument, 0, 'r' }, { "payload-limit", required_argument, 0, 'p' },
		{ "interval-ms", required_argument, 0, 't' }, { "idle-timeout", required_argument, 0, 'd' },
		{ "closed-timeout", required_argument, 0, 'c' },
		{ "verbose", no_argument, 0, 'v' },          { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	*o = (struct options){ .attach = FA_ATTACH_AUTO, .max_flows = 65536, .ring_bytes = 1 << 20,
			       .payload_limit = FA_PAYLOAD_MAX, .interval_ms = 1000, .idle_timeout_s = 60,
			       .closed_timeout_s = 5 };
	int c;
	while ((c = getopt_long(argc, argv, "i:vh", longs, NULL)) != -1) {
		const char *bad = NULL;
		switch (c) {
		case 'i':
			if (o->n_patterns == MAX_PATTERNS)
				bad = "--interface: at most 64";
			else
				o->patterns[o->n_patterns++] = optarg;
			break;
		case 'k':
			if (o->n_kinds == MAX_PATTERNS)
				bad = "--kind: at most 64";
			else
				o->kinds[o->n_kinds++] = optarg;
			break;
		case 'a':
			if (strcmp(optarg, "auto") == 0)
				o->attach = FA_ATTACH_AUTO;
			else if (strcmp(optarg, "tcx") == 0)
				o->attach = FA_ATTACH_TCX;
			else if (strcmp(optarg, "tc") == 0)
				o->attach = FA_ATTACH_TC;
			else
				bad = "--attach: auto, tcx or tc";
			break;
		case 'm':
			if (!parse_u32(optarg, 1024, 1 << 24, &o->max_flows))
				bad = "--max-flows: 1024 to 16777216";
			break;
		case 'r':
			if (!parse_u32(optarg, 4096, 1u << 30, &o->ring_bytes) || (o->ring_bytes & (o->ring_bytes - 1)) != 0)
				bad = "--ring-bytes: a power of two, 4096 to 1073741824";
			break;
		case 'p':
			if (!parse_u32(optarg, 0, FA_PAYLOAD_MAX, &o->payload_limit))
				bad = "--payload-limit: 0 to 4096";
			break;
		case 't':
			if (!parse_u32(optarg, 10, 3600000, &o->interval_ms))
				bad = "--interval-ms: 10 to 3600000";
			break;
		case 'd':
			if (!parse_u32(optarg, 1, 86400, &o->idle_timeout_s))
				bad = "--idle-timeout: 1 to 86400 seconds";
			break;
		case 'c':
			if (!parse_u32(optarg, 0, 3600, &o->closed_timeout_s))
				bad = "--closed-timeout: 0 to 3600 seconds";
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		if (bad) {
			fatal_line("bad option %s (got '%s')", bad, optarg);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fatal_line("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_capability(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

/* The capabilities the engine needs, each named with what it is for (docs/ebpf.md). CAP_SYS_ADMIN
 * stands in for CAP_BPF and CAP_PERFMON, as on kernels before 5.8. Returns 0 or EXIT_UNSUPPORTED. */
static int check_capabilities(void)
{
	static const struct { int cap; const char *name; const char *why; } needed[] = {
		{ CAP_BPF, "CAP_BPF", "to load the eBPF programs and create and read their maps" },
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN", "to attach programs to interfaces (TCX links, tc filters)" },
		{ CAP_PERFMON, "CAP_PERFMON", "for the verifier to accept the programs as privileged ones (no Spectre masking of their map pointers)" },
	};
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	if (syscall(SYS_capget, &header, data) != 0) {
		fatal_line("cannot read this process's capabilities: %s", strerror(errno));
		return EXIT_UNSUPPORTED;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		bool admin_stands_in = needed[i].cap != CAP_NET_ADMIN && has_capability(data, CAP_SYS_ADMIN);
		if (!has_capability(data, needed[i].cap) && !admin_stands_in) {
			fatal_line("missing capability %s (%s)", needed[i].name, needed[i].why);
			return EXIT_UNSUPPORTED;
		}
	}
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static struct attached *find_iface(struct loader *l, int ifindex)
{
	for (int i = 0; i < l->n_ifaces; i++)
		if (l->ifaces[i].used && l->ifaces[i].hook.ifindex == ifindex)
			return &l->ifaces[i];
	return NULL;
}

static bool selected(const struct options *o, const struct fa_link *link)
{
	if (o->n_patterns == 0 && o->n_kinds == 0)
		return link->type != ARPHRD_LOOPBACK;
	for (int i = 0; i < o->n_patterns; i++)
		if (fnmatch(o->patterns[i], link->name, 0) == 0)
			return true;
	for (int i = 0; i < o->n_kinds; i++)
		if (strcmp(o->kinds[i], link->kind) == 0)
			return true;
	return false;
}

static void on_link(const struct fa_link *link, bool removed, void *ctx)
{
	struct loader *l = ctx;
	struct attached *a = find_iface(l, link->ifindex);
	if (removed) {
		if (!a)
			return;
		fa_hook_detach(&a->hook, true);
		a->used = false;
		if (fa_emit_interface(link->ifindex, a->name, false, fa_attach_mode_name(l->mode)) < 0)
			l->stream_gone = true;
		return;
	}
	if (a || !selected(&l->opt, link))
		return;
	if (link->type != ARPHRD_ETHER) {
		if (fa_emit_error("interface %s not followed: not Ethernet (ARPHRD %u)", link->name, link->type) < 0)
			l->stream_gone = true;
		return;
	}
	struct attached *slot = NULL;
	for (int i = 0; i < l->n_ifaces && !slot; i++)
		if (!l->ifaces[i].used)
			slot = &l->ifaces[i];
	if (!slot) {
		struct attached *grown = realloc(l->ifaces, (l->n_ifaces + 16) * sizeof(*grown));
		if (!grown) {
			fa_emit_error("interface %s not followed: out of memory", link->name);
			return;
		}
		memset(grown + l->n_ifaces, 0, 16 * sizeof(*grown));
		l->ifaces = grown;
		slot = &l->ifaces[l->n_ifaces];
		l->n_ifaces += 16;
	}
	bool stale_removed = fa_hook_remove_stale(link->ifindex) > 0;
	char err[128];
	if (fa_hook_attach(&slot->hook, link->ifindex, l->prog_fd, &l->mode, stale_removed, err, sizeof(err)) != 0) {
		if (fa_emit_error("interface %s not followed: %s", link->name, err) < 0)
			l->stream_gone = true;
		return;
	}
	slot->used = true;
	memcpy(slot->name, link->name, sizeof(slot->name));
	if (fa_emit_interface(link->ifindex, link->name, true, fa_attach_mode_name(l->mode)) < 0)
		l->stream_gone = true;
}

/* A closed connection's final counters, sent by the kernel when a SYN reused its entry; a sweep
 * that drains the ring remembers it (sweep, reused_seen). */
static void report_reused(struct loader *l, const struct fa_reused_event *ev)
{
	if (fa_emit_flow(&ev->key, &ev->flow, l->boot_to_unix_ns, FA_END_CLOSED) < 0)
		l->stream_gone = true;
	if (!l->collect_reused)
		return;
	if (l->n_reused == l->cap_reused) {
		int cap = l->cap_reused ? 2 * l->cap_reused : 64;
		struct reused *grown = realloc(l->reused, cap * sizeof(*grown));
		if (!grown)
			return;
		l->reused = grown;
		l->cap_reused = cap;
	}
	l->reused[l->n_reused++] = (struct reused){ .key = ev->key, .first_ns = ev->flow.first_ns };
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct loader *l = ctx;
	const struct fa_payload_event *ev = data;
	if (size < __builtin_offsetof(struct fa_payload_event, data))
		return 0;
	if (ev->kind == FA_EVENT_REUSED) {
		if (size >= sizeof(struct fa_reused_event))
			report_reused(l, data);
	} else if (fa_emit_payload(ev) < 0) {
		l->stream_gone = true;
	}
	return 0;
}

static __u64 clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Linux keeps CLOCK_REALTIME - CLOCK_BOOTTIME constant: NTP's slewing changes both clocks' rate
 * alike, and a suspend advances both. Only a step of the wall clock (settimeofday, an NTP step, a
 * leap second) moves it. So a sweep takes a new reading only when it differs from the one in use
 * by more than this: far above a reading's own error (a few µs on a busy machine), far below a
 * step worth following. A flow's times thus stay the same from one report to the next (a reading
 * per sweep moved them by a microsecond or so, and the flow table took each move for a new entry).
 */
#define CLOCK_STEP_NS 1000000ll

/* Unix time minus boot time: a realtime read between two boottime reads, off by at most half
 * their gap; the tightest of three tries, so a preemption between two reads does not count. */
static __s64 read_boot_to_unix(void)
{
	__s64 best = 0;
	__u64 best_gap = ~0ull;
	for (int i = 0; i < 3; i++) {
		__u64 before = clock_ns(CLOCK_BOOTTIME);
		__u64 unix_ns = clock_ns(CLOCK_REALTIME);
		__u64 after = clock_ns(CLOCK_BOOTTIME);
		if (after - before < best_gap) {
			best_gap = after - before;
			best = (__s64)(unix_ns - (before + best_gap / 2));
		}
	}
	return best;
}

/* Reads the whole flow map in batches into l->keys/values; returns the count or a negative errno. */
static int read_flows(struct loader *l)
{
	int fd = bpf_map__fd(l->skel->maps.flows);
	__u64 batch = 0;
	int n = 0;
	bool first = true;
	/* Room for BATCH past capacity: a hash bucket is returned whole. */
	while (n < (int)l->opt.max_flows) {
		__u32 count = BATCH;
		int e = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, l->keys + n, l->values + n, &count, NULL);
		first = false;
		if (e < 0 && e != -ENOENT)
			return e;
		n += count;
		if (e == -ENOENT)
			break;
	}
	return n;
}

/* The flow's latest packet, boot clock. */
static __u64 last_seen_ns(const struct fa_flow *f)
{
	return f->last_ns;
}

static int by_last_seen(const void *a, const void *b, void *values)
{
	const struct fa_flow *v = values;
	__u64 x = last_seen_ns(&v[*(const int *)a]), y = last_seen_ns(&v[*(const int *)b]);
	return x < y ? -1 : x > y;
}

/* TCP header flag bits, as fa_direction.tcp_flags ORs them. */
#define TCP_FIN 0x01
#define TCP_RST 0x04

/* A TCP connection that has closed: an RST either way, or a FIN each way. */
static bool connection_closed(const struct fa_flow_key *key, const struct fa_flow *f)
{
	if (key->protocol != IPPROTO_TCP)
		return false;
	__u32 a = f->dir[0].tcp_flags, b = f->dir[1].tcp_flags;
	return ((a | b) & TCP_RST) || ((a & b) & TCP_FIN);
}

static int by_key_and_start(const void *a, const void *b)
{
	const struct reused *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));
	return c ? c : (x->first_ns > y->first_ns) - (x->first_ns < y->first_ns);
}

/* Whether the ring buffer reported this connection (key and first packet) closed during the
 * sweep: the map's read of it is older than that final report, and is not written. */
static bool reused_seen(const struct loader *l, const struct fa_flow_key *key, const struct fa_flow *f)
{
	if (l->n_reused == 0 || key->protocol != IPPROTO_TCP)
		return false;
	struct reused probe = { .key = *key, .first_ns = f->first_ns };
	return bsearch(&probe, l->reused, l->n_reused, sizeof(probe), by_key_and_start) != NULL;
}

/*
 * Deletes an entry the sweep ends, taking its latest counters into *f: what was counted between
 * the read and the delete is reported, not lost. Returns false when the entry is no longer the
 * connection read: a SYN reused it for a new one meanwhile (the ring buffer reports the old one,
 * closed). The new one's entry is then put back, or, if a packet made another meanwhile,
 * reported evicted.
 */
static bool take_entry(struct loader *l, int fd, const struct fa_flow_key *key, struct fa_flow *f, __s64 to_unix)
{
	struct fa_flow latest;
	if (bpf_map_lookup_and_delete_elem(fd, key, &latest) != 0) {
		/* Hash maps have it from Linux 5.14; before, the read's counters. */
		if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)
			bpf_map_delete_elem(fd, key);
		return true;
	}
	if (latest.first_ns == f->first_ns) {
		*f = latest;
		return true;
	}
	if (bpf_map_update_elem(fd, key, &latest, BPF_NOEXIST) != 0) {
		l->evicted++;
		if (fa_emit_flow(key, &latest, to_unix, FA_END_EVICTED) < 0)
			l->stream_gone = true;
	}
	return false;
}

/* Keeps a closed connection's key for a while, so the kernel takes its late packets for what
 * they are (late_after_close in flowaudit.bpf.c). */
static void remember_closed(struct loader *l, const struct fa_flow_key *key, const struct fa_flow *f, __u64 boot)
{
	struct fa_closed c = { .closed_ns = boot, .if_index = f->if_index };
	bpf_map_update_elem(bpf_map__fd(l->skel->maps.closed), key, &c, BPF_ANY);
}

/* A flow removed for another reason (idle, evicted, its interface gone) may be a later
 * connection on a closed one's tuple: its next packets are its own, not late ones. */
static void forget_closed(struct loader *l, const struct fa_flow_key *key)
{
	if (key->protocol != IPPROTO_TCP)
		return; /* only TCP connections are remembered: no syscall for every idle UDP flow */
	bpf_map_delete_elem(bpf_map__fd(l->skel->maps.closed), key);
}

/* Every --interval-ms: reports flows that changed since the last sweep, ends closed connections
 * quiet for --closed-timeout, idle flows and those counted on an interface let go, evicts the
 * least recently active when the map is over 90% full (down to 80%), and reports the counters. */
static void sweep(struct loader *l, bool stopping)
{
	__u64 boot = clock_ns(CLOCK_BOOTTIME);
	__s64 to_unix = read_boot_to_unix();
	if (llabs(to_unix - l->boot_to_unix_ns) > CLOCK_STEP_NS)
		l->boot_to_unix_ns = to_unix;
	to_unix = l->boot_to_unix_ns;
	int fd = bpf_map__fd(l->skel->maps.flows);
	int n = read_flows(l);
	if (n < 0) {
		fa_emit_error("reading the flow map: %s", strerror(-n));
		n = 0;
	}
	/* Connections a SYN reused while the map was read: the ring buffer has their final counters,
	 * written now, before the new connections' first reports. */
	l->n_reused = 0;
	l->collect_reused = true;
	ring_buffer__consume(l->ring);
	l->collect_reused = false;
	qsort(l->reused, l->n_reused, sizeof(*l->reused), by_key_and_start);
	int *live = malloc((n + 1) * sizeof(int));
	int n_live = 0;
	__u64 idle_ns = (__u64)l->opt.idle_timeout_s * 1000000000ull;
	__u64 closed_ns = (__u64)l->opt.closed_timeout_s * 1000000000ull;
	for (int i = 0; i < n && !l->stream_gone; i++) {
		struct fa_flow *f = &l->values[i];
		if (reused_seen(l, &l->keys[i], f))
			continue;
		__u64 quiet = boot > last_seen_ns(f) ? boot - last_seen_ns(f) : 0;
		enum fa_flow_end end = FA_END_LIVE;
		if (stopping)
			end = FA_END_STOP;
		else if (!find_iface(l, f->if_index))
			end = FA_END_INTERFACE_GONE;
		else if (quiet > closed_ns && connection_closed(&l->keys[i], f))
			end = FA_END_CLOSED;
		else if (quiet > idle_ns)
			end = FA_END_IDLE;
		if (end == FA_END_CLOSED || end == FA_END_IDLE || end == FA_END_INTERFACE_GONE) {
			if (!take_entry(l, fd, &l->keys[i], f, to_unix))
				continue;
			if (end == FA_END_CLOSED)
				remember_closed(l, &l->keys[i], f, boot);
			else
				forget_closed(l, &l->keys[i]);
		} else if (live) {
			live[n_live++] = i;
		}
		if (end != FA_END_LIVE || last_seen_ns(f) >= l->last_sweep_boot_ns)
			if (fa_emit_flow(&l->keys[i], f, to_unix, end) < 0)
				l->stream_gone = true;
	}
	if (!stopping && live && n_live > (int)(l->opt.max_flows / 10 * 9)) {
		qsort_r(live, n_live, sizeof(int), by_last_seen, l->values);
		int keep = (int)(l->opt.max_flows / 10 * 8);
		for (int i = 0; i < n_live - keep && !l->stream_gone; i++) {
			bpf_map_delete_elem(fd, &l->keys[live[i]]);
			forget_closed(l, &l->keys[live[i]]);
			l->evicted++;
			if (fa_emit_flow(&l->keys[live[i]], &l->values[live[i]], to_unix, FA_END_EVICTED) < 0)
				l->stream_gone = true;
		}
	}
	free(live);
	l->last_sweep_boot_ns = boot;

	int ncpu = libbpf_num_possible_cpus();
	__u64 totals[FA_C_COUNT] = {};
	__u64 *per_cpu = calloc(ncpu > 0 ? ncpu : 1, sizeof(__u64));
	for (__u32 c = 0; per_cpu && ncpu > 0 && c < FA_C_COUNT; c++) {
		if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.counters), &c, per_cpu) != 0)
			continue;
		for (int cpu = 0; cpu < ncpu; cpu++)
			totals[c] += per_cpu[cpu];
	}
	free(per_cpu);
	if (fa_emit_counters(totals, l->evicted, n) < 0)
		l->stream_gone = true;
}

/* Whether this kernel has TCX (6.6+): a link on the loopback device, closed at once. */
static enum fa_attach_mode probe_attach_mode(struct loader *l)
{
	struct fa_hook probe;
	enum fa_attach_mode mode = FA_ATTACH_TCX;
	char err[128];
	if (fa_hook_attach(&probe, 1, l->prog_fd, &mode, false, err, sizeof(err)) != 0)
		return FA_ATTACH_TC;
	fa_hook_detach(&probe, false);
	return FA_ATTACH_TCX;
}

static int add_epoll(int ep, int fd, int tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

enum { TAG_SIGNAL, TAG_LINKS, TAG_RING, TAG_TIMER };

int main(int argc, char **argv)
{
	struct loader l = { .mode = FA_ATTACH_AUTO };
	int links_fd = -1, sig_fd = -1, timer_fd = -1, ep = -1;
	/* An agent killed outright (SIGKILL, the OOM killer) cannot stop us: the kernel sends SIGTERM
	 * when it dies, so we detach (tc filters included) at once instead of at the next write to the
	 * closed stream. Asked first, before anything is attached (until SIGTERM is blocked below, its
	 * default action ends us with nothing to clean); a parent gone before the ask is seen as a new
	 * parent pid. */
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
		fatal_line("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (getppid() != parent)
		return EXIT_RUNTIME;
	int status = parse_options(argc, argv, &l.opt);
	if (status != 0)
		return status;
	status = check_capabilities();
	if (status != 0)
		return status;
	libbpf_set_print(l.opt.verbose ? libbpf_verbose : libbpf_quiet);
	signal(SIGPIPE, SIG_IGN);
	status = EXIT_RUNTIME;

	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		fatal_line("this kernel has no BPF ring buffer (Linux 5.8 or later needed)");
		status = EXIT_UNSUPPORTED;
		goto cleanup;
	}
	l.skel = flowaudit_bpf__open();
	if (!l.skel) {
		fatal_line("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	l.skel->rodata->payload_limit = l.opt.payload_limit;
	bpf_map__set_max_entries(l.skel->maps.flows, l.opt.max_flows);
	/* A quarter: 120 bytes an entry (LRU hash), and late packets come within seconds of the end. */
	bpf_map__set_max_entries(l.skel->maps.closed, l.opt.max_flows / 4);
	bpf_map__set_max_entries(l.skel->maps.payloads, l.opt.ring_bytes);
	int e = flowaudit_bpf__load(l.skel);
	if (e != 0) {
		fatal_line("cannot load the BPF programs: %s (run with --verbose for the verifier's log)", strerror(-e));
		goto cleanup;
	}
	l.prog_fd[0] = bpf_program__fd(l.skel->progs.flowaudit_in);
	l.prog_fd[1] = bpf_program__fd(l.skel->progs.flowaudit_eg);
	l.keys = calloc(l.opt.max_flows + BATCH, sizeof(*l.keys));
	l.values = calloc(l.opt.max_flows + BATCH, sizeof(*l.values));
	if (!l.keys || !l.values) {
		fatal_line("out of memory for %u flows", l.opt.max_flows);
		goto cleanup;
	}
	l.ring = ring_buffer__new(bpf_map__fd(l.skel->maps.payloads), on_event, &l, NULL);
	if (!l.ring) {
		fatal_line("cannot open the payload ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	l.boot_to_unix_ns = read_boot_to_unix();
	l.mode = l.opt.attach == FA_ATTACH_AUTO ? probe_attach_mode(&l) : l.opt.attach;
	if (fa_emit_hello(fa_attach_mode_name(l.mode), l.opt.max_flows, l.opt.ring_bytes, l.opt.payload_limit) < 0)
		goto cleanup;

	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigprocmask(SIG_BLOCK, &stop_signals, NULL);
	sig_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
	links_fd = fa_links_open();
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct itimerspec every = { .it_interval = { l.opt.interval_ms / 1000, (l.opt.interval_ms % 1000) * 1000000L } };
	every.it_value = every.it_interval;
	if (sig_fd < 0 || links_fd < 0 || timer_fd < 0 || ep < 0 || timerfd_settime(timer_fd, 0, &every, NULL) != 0 ||
	    add_epoll(ep, sig_fd, TAG_SIGNAL) || add_epoll(ep, links_fd, TAG_LINKS) ||
	    add_epoll(ep, ring_buffer__epoll_fd(l.ring), TAG_RING) || add_epoll(ep, timer_fd, TAG_TIMER)) {
		fatal_line("cannot set up the event loop: %s", strerror(links_fd < 0 ? -links_fd : errno));
		goto cleanup;
	}

	bool stopping = false;
	while (!stopping && !l.stream_gone) {
		struct epoll_event events[4];
		int n = epoll_wait(ep, events, 4, -1);
		if (n < 0 && errno != EINTR) {
			fatal_line("epoll_wait: %s", strerror(errno));
			goto cleanup;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.u32 == TAG_SIGNAL) {
				stopping = true;
			} else if (events[i].data.u32 == TAG_LINKS) {
				e = fa_links_read(links_fd, on_link, &l);
				if (e == -ENOBUFS) {
					/* Link events were lost: dump the links again. */
					epoll_ctl(ep, EPOLL_CTL_DEL, links_fd, NULL);
					close(links_fd);
					links_fd = fa_links_open();
					if (links_fd < 0 || add_epoll(ep, links_fd, TAG_LINKS)) {
						fatal_line("cannot reopen the netlink socket: %s", strerror(-links_fd));
						goto cleanup;
					}
				}
			} else if (events[i].data.u32 == TAG_RING) {
				ring_buffer__consume(l.ring);
			} else {
				__u64 expirations;
				if (read(timer_fd, &expirations, sizeof(expirations)) > 0)
					sweep(&l, false);
			}
		}
		if (fa_stream_flush() < 0)
			l.stream_gone = true;
	}
	ring_buffer__consume(l.ring);
	sweep(&l, true);
	fa_stream_flush();
	status = 0;

cleanup:
	for (int i = 0; i < l.n_ifaces; i++)
		if (l.ifaces[i].used)
			fa_hook_detach(&l.ifaces[i].hook, false);
	free(l.ifaces);
	ring_buffer__free(l.ring);
	free(l.reused);
	flowaudit_bpf__destroy(l.skel);
	free(l.keys);
	free(l.values);
	if (ep >= 0)
		close(ep);
	if (links_fd >= 0)
		close(links_fd);
	if (timer_fd >= 0)
		close(timer_fd);
	if (sig_fd >= 0)
		close(sig_fd);
	return status;
}
