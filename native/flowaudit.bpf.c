// SPDX-License-Identifier: GPL-2.0
/* The kernel side of flowaudit's eBPF engine: one TC program per direction that keeps per-flow
 * counters in a hash map and sends the first payload bytes of each flow direction to a ring
 * buffer, up to the payload limit or the end of a TLS handshake. It only reads: every packet
 * continues (TC_ACT_UNSPEC, TCX_NEXT). Design, limits and costs: docs/ebpf.md. Only UAPI
 * headers: __sk_buff is stable, so no vmlinux.h and no CO-RE. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flowaudit.h"

/* Set by the loader before load. */
volatile const __u32 payload_limit = FA_PAYLOAD_MAX;

/* Key: struct fa_flow_key. Value: struct fa_flow. Size set by the loader (--max-flows). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fa_flow_key);
	__type(value, struct fa_flow);
} flows SEC(".maps");

/* Key: struct fa_flow_key. Value: struct fa_closed. TCP connections the loader ended as closed
 * and deleted, so that their late packets are not taken for new flows. Size set by the loader
 * (a quarter of --max-flows: the latest closed connections are remembered). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fa_flow_key);
	__type(value, struct fa_closed);
} closed SEC(".maps");

/* Key: struct fa_fragment_key. Value: the first fragment's ports, for the later fragments. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fa_fragment_key);
	__type(value, struct fa_fragment_ports);
} fragments SEC(".maps");

/* Payload chunks (struct fa_payload_event, header + len bytes). Size set by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} payloads SEC(".maps");

/* Key: enum fa_counter. Value: a count per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FA_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8
#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXT_HEADERS 8
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10
/* How long after its end a closed connection's packets are still known as late: Linux's
 * TIME_WAIT (TCP_TIMEWAIT_LEN), the longest its peers wait for them. */
#define LATE_WINDOW_NS (60ull * 1000000000ull)

/* What one packet carries, as parsed. */
struct packet {
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;
	__u16 dport;
	__u8 protocol;
	__u8 ip_version;
	__u8 tcp_flags;
	__u8 has_l4;        /* ports and payload offset are known (not a later fragment) */
	__u32 ip_bytes;     /* IP-layer length from the IP header */
	__u32 payload_off;  /* offset of the L4 payload in the skb */
	__u32 payload_len;
	__u32 seq;          /* TCP sequence number */
};

/* Per-CPU working memory for one packet: the 512-byte BPF stack holds none of this. */
struct work {
	struct packet p;
	struct fa_flow_key key;
	struct fa_flow fresh;
	struct fa_fragment_key fragment;
	struct fa_payload_event ev;
};

/* Key: 0. Value: this CPU's struct work. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct work);
} scratch SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += 1; /* per CPU: no atomics needed */
}

/* Headers are read at offsets below this (Ethernet, two VLAN tags, IPv6 and eight extension
 * headers of up to 2 KB would not fit: those take the helper path). A bound the verifier needs to
 * accept a variable offset into the packet. */
#define DIRECT_MAX_OFFSET 1024

/* Copies `len` bytes at `off` of the frame into `to`: straight from the skb's linear data when
 * they lie there (headers, nearly always: reading them so costs a bounds check where
 * bpf_skb_load_bytes costs a helper call), else through bpf_skb_load_bytes. `len` is a
 * constant at every call, so the copy is a few loads. Returns 0, or a negative errno. */
static __always_inline int load(struct __sk_buff *skb, __u32 off, void *to, __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	if (off < DIRECT_MAX_OFFSET && data + off + len <= end) {
		__builtin_memcpy(to, data + off, len);
		return 0;
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

/* ICMP request/reply pairs as Zeek keys them (src/decode/icmp-port-equivalents.ts): the reply's
 * type, or -1 for a one-way message (its code is then the destination port). */
static __always_inline int icmp_counterpart(__u8 protocol, __u8 type)
{
	if (protocol == IPPROTO_ICMP) {
		switch (type) {
		case 8: return 0;   case 0: return 8;
		case 13: return 14; case 14: return 13;
		case 15: return 16; case 16: return 15;
		case 10: return 9;  case 9: return 10;
		case 17: return 18; case 18: return 17;
		}
		return -1;
	}
	switch (type) {
	case 128: return 129; case 129: return 128;
	case 130: return 131; case 131: return 130;
	case 133: return 134; case 134: return 133;
	case 135: return 136; case 136: return 135;
	case 139: return 140; case 140: return 139;
	case 144: return 145; case 145: return 144;
	}
	return -1;
}

/* The parse functions return 0 for a packet of a flow, -1 for one cut short (counted as
 * truncated by the caller), -2 for one counted already under its own reason. */

/* Reads the L4 header at `off`. */
static __always_inline int parse_l4(struct __sk_buff *skb, __u32 off, __u32 l4_len, struct packet *p)
{
	if (p->protocol == IPPROTO_TCP) {
		__u8 h[20];
		if (load(skb, off, h, sizeof(h)) < 0)
			return -1;
		__u32 hlen = (h[12] >> 4) * 4;
		p->sport = (h[0] << 8) | h[1];
		p->dport = (h[2] << 8) | h[3];
		p->seq = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) | ((__u32)h[6] << 8) | h[7];
		p->tcp_flags = h[13];
		if (hlen < 20 || hlen > l4_len)
			return -1;
		p->payload_off = off + hlen;
		p->payload_len = l4_len - hlen;
	} else if (p->protocol == IPPROTO_UDP) {
		__u8 h[8];
		if (load(skb, off, h, sizeof(h)) < 0)
			return -1;
		p->sport = (h[0] << 8) | h[1];
		p->dport = (h[2] << 8) | h[3];
		p->payload_off = off + 8;
		p->payload_len = l4_len >= 8 ? l4_len - 8 : 0;
	} else if (p->protocol == IPPROTO_ICMP || p->protocol == IPPROTO_ICMPV6) {
		__u8 h[2];
		if (load(skb, off, h, sizeof(h)) < 0)
			return -1;
		int counterpart = icmp_counterpart(p->protocol, h[0]);
		p->sport = h[0];
		p->dport = counterpart < 0 ? h[1] : counterpart;
	}
	p->has_l4 = 1;
	return 0;
}

/* A later fragment takes its ports from the first fragment of its datagram (the fragment map);
 * a first fragment leaves them there. Returns 0 when the packet belongs to a flow. */
static __always_inline int fragment_ports(struct fa_fragment_key *fk, struct packet *p, __u32 id, int first, int later)
{
	__builtin_memcpy(fk->src, p->src, 16);
	__builtin_memcpy(fk->dst, p->dst, 16);
	fk->id = id;
	fk->protocol = p->protocol;
	if (later) {
		count(FA_C_FRAGMENTS);
		struct fa_fragment_ports *ports = bpf_map_lookup_elem(&fragments, fk);
		if (!ports) {
			count(FA_C_FRAGMENT_WITHOUT_FIRST);
			return -2;
		}
		p->sport = ports->sport;
		p->dport = ports->dport;
		p->has_l4 = 1;
		p->payload_len = 0; /* payload of later fragments is not sent */
		return 0;
	}
	if (first) {
		struct fa_fragment_ports ports = { .sport = p->sport, .dport = p->dport };
		bpf_map_update_elem(&fragments, fk, &ports, BPF_ANY);
	}
	return 0;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 off, struct work *w)
{
	struct packet *p = &w->p;
	__u8 h[20];
	if (load(skb, off, h, sizeof(h)) < 0)
		return -1;
	__u32 ihl = (h[0] & 0x0f) * 4;
	__u32 total = (h[2] << 8) | h[3];
	if (ihl < 20 || total < ihl)
		return -1;
	p->ip_version = 4;
	p->protocol = h[9];
	p->ip_bytes = total;
	p->src[10] = p->src[11] = 0xff; /* IPv4-mapped */
	p->dst[10] = p->dst[11] = 0xff;
	__builtin_memcpy(&p->src[12], &h[12], 4);
	__builtin_memcpy(&p->dst[12], &h[16], 4);
	__u16 frag = (h[6] << 8) | h[7];
	int more = frag & 0x2000;
	int later = (frag & 0x1fff) != 0;
	if (!later && parse_l4(skb, off + ihl, total - ihl, p) < 0)
		return -1;
	if (!more && !later)
		return 0;
	return fragment_ports(&w->fragment, p, (h[4] << 8) | h[5], more && !later, later);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 off, struct work *w)
{
	struct packet *p = &w->p;
	__u8 h[40];
	if (load(skb, off, h, sizeof(h)) < 0)
		return -1;
	p->ip_version = 6;
	p->ip_bytes = 40 + ((h[4] << 8) | h[5]);
	__builtin_memcpy(p->src, &h[8], 16);
	__builtin_memcpy(p->dst, &h[24], 16);
	__u8 next = h[6];
	__u32 l4 = off + 40;
	__u32 frag_id = 0;
	int fragment = 0, later = 0, more = 0;
#pragma unroll
	for (int i = 0; i < MAX_IPV6_EXT_HEADERS; i++) {
		if (next != 0 && next != 43 && next != 60 && next != 44 && next != 51)
			goto l4;
		__u8 e[8];
		if (load(skb, l4, e, sizeof(e)) < 0)
			return -1;
		if (next == 44) {
			fragment = 1;
			later = ((e[2] << 8 | e[3]) & 0xfff8) != 0;
			more = e[3] & 1;
			frag_id = ((__u32)e[4] << 24) | ((__u32)e[5] << 16) | ((__u32)e[6] << 8) | e[7];
			l4 += 8;
		} else if (next == 51) {
			l4 += (e[1] + 2) * 4;
		} else {
			l4 += (e[1] + 1) * 8;
		}
		next = e[0];
	}
	count(FA_C_TOO_MANY_EXT_HEADERS);
	return -2;
l4:
	p->protocol = next;
	if (l4 - off > p->ip_bytes)
		return -1;
	if (!later && parse_l4(skb, l4, p->ip_bytes - (l4 - off), p) < 0)
		return -1;
	if (!fragment)
		return 0;
	return fragment_ports(&w->fragment, p, frag_id, more && !later, later);
}

/* -1 when a is below b, 1 above, 0 equal: the (address, port) order that picks side A. The
 * addresses are compared as two big-endian 64-bit words (8-byte aligned in struct packet), which
 * orders them as their bytes do in two steps rather than sixteen. */
static __always_inline int compare_ends(const __u8 *a, __u16 aport, const __u8 *b, __u16 bport)
{
#pragma unroll
	for (int i = 0; i < 16; i += 8) {
		__u64 x = __builtin_bswap64(*(const __u64 *)(a + i));
		__u64 y = __builtin_bswap64(*(const __u64 *)(b + i));
		if (x != y)
			return x < y ? -1 : 1;
	}
	return aport < bport ? -1 : aport > bport ? 1 : 0;
}

#define TLS_RECORD_HEADER 5
#define TLS_CHANGE_CIPHER_SPEC 20
#define TLS_APPLICATION_DATA 23
/* Records followed in one segment at most; a GSO packet holding more gives the walk up. */
#define MAX_TLS_RECORDS 16

/* The byte at stream offset `at` of a segment that starts at stream offset `offset`. */
static __always_inline int stream_byte(struct __sk_buff *skb, const struct packet *p, __u32 offset, __u32 at, __u8 *out)
{
	return bpf_skb_load_bytes(skb, p->payload_off + (at - offset), out, 1);
}

/* Follows the TLS record headers of a TCP direction through this segment's bytes [offset, end)
 * as the flow table does (src/flow/payload-prefixes.ts): a stream whose first byte is a record
 * type (20-23) is TLS, and the first record other than change_cipher_spec, alert or handshake
 * ends the handshake (FA_TLS_DONE at tls_record). Only contiguous bytes are walked: a gap, or more
 * records in one segment than MAX_TLS_RECORDS, falls back to the byte limit (FA_TLS_PLAIN). */
static __always_inline void walk_tls(struct __sk_buff *skb, const struct packet *p, struct fa_direction *d, __u32 offset, __u32 end)
{
	__u8 b;
	if (d->tls == FA_TLS_UNKNOWN) {
		int opens_like_tls = offset == 0 && stream_byte(skb, p, offset, 0, &b) == 0 &&
				     b >= TLS_CHANGE_CIPHER_SPEC && b <= TLS_APPLICATION_DATA;
		d->tls = opens_like_tls ? FA_TLS_WALKING : FA_TLS_PLAIN;
	}
	if (d->tls != FA_TLS_WALKING)
		return;
	if (offset > d->payload_sent) {
		d->tls = FA_TLS_PLAIN;
		return;
	}
	__u32 record = d->tls_record;
	for (int i = 0; i < MAX_TLS_RECORDS; i++) {
		if (record >= end)
			goto stay;
		/* The type byte; when it was in the previous segment, it was checked there. */
		if (record >= offset) {
			if (stream_byte(skb, p, offset, record, &b) < 0)
				goto lost;
			if (b < TLS_CHANGE_CIPHER_SPEC || b >= TLS_APPLICATION_DATA) {
				d->tls_record = record;
				d->tls = FA_TLS_DONE;
				return;
			}
		}
		if (record + 3 >= offset && record + 3 < end && stream_byte(skb, p, offset, record + 3, &d->tls_length_hi) < 0)
			goto lost;
		if (record + TLS_RECORD_HEADER > end)
			goto stay; /* the length's low byte comes with the next segment */
		if (stream_byte(skb, p, offset, record + 4, &b) < 0)
			goto lost;
		record += TLS_RECORD_HEADER + (((__u32)d->tls_length_hi << 8) | b);
	}
	if (record < end)
		goto lost;
stay:
	d->tls_record = record;
	return;
lost:
	d->tls = FA_TLS_PLAIN;
}

/* TCP: stream offset 0 is the byte after the SYN's sequence number, else the first segment's. */
static __always_inline void set_stream_base(struct fa_direction *d, const struct packet *p)
{
	d->payload_base = p->seq + ((p->tcp_flags & TCP_SYN) ? 1 : 0);
	d->base_known = 1;
}

static __always_inline void send_payload(struct __sk_buff *skb, struct work *w, struct fa_direction *d, int b_to_a)
{
	struct packet *p = &w->p;
	struct fa_payload_event *ev = &w->ev;
	__u32 offset;
	if (p->protocol == IPPROTO_TCP) {
		if (!d->base_known)
			set_stream_base(d, p);
		offset = p->seq - d->payload_base;
		/* Already sent (a retransmission), or wrapped below the base: nothing new. */
		if (offset >= payload_limit || offset + p->payload_len <= d->payload_sent)
			return;
	} else {
		offset = d->payload_sent;
	}
	if (p->payload_len == 0 || offset >= payload_limit)
		return;
	/* 64-bit: with a 32-bit n clang passes the helper an unbounded 64-bit copy of it. */
	__u64 n = p->payload_len;
	__u64 room = (__u64)payload_limit - offset;
	if (n > room)
		n = room;
	if (p->protocol == IPPROTO_TCP) {
		/* A TLS direction stops after the header of the record that ends its handshake. */
		walk_tls(skb, p, d, offset, offset + n);
		if (d->tls == FA_TLS_DONE) {
			__u32 stop = d->tls_record + TLS_RECORD_HEADER;
			if (offset >= stop)
				return;
			if (n > stop - offset)
				n = stop - offset;
		}
	}
	if (n == 0 || n > FA_PAYLOAD_MAX)
		return;
	if (bpf_skb_load_bytes(skb, p->payload_off, ev->data, n) < 0)
		return;
	ev->key = w->key;
	ev->offset = offset;
	ev->len = n;
	ev->b_to_a = b_to_a;
	ev->kind = FA_EVENT_PAYLOAD;
	__u64 size = __builtin_offsetof(struct fa_payload_event, data) + n;
	if (bpf_ringbuf_output(&payloads, ev, size, 0) < 0) {
		count(FA_C_RING_RESERVE_FAILED);
		return;
	}
	if (offset + n > d->payload_sent)
		d->payload_sent = offset + n;
}

/* Counts a packet in its flow `f` and direction `d` (an entry of the map, or one not yet in it). */
static __always_inline void count_packet(struct fa_flow *f, struct fa_direction *d, const struct packet *p, int b_to_a, __u64 now)
{
	__sync_fetch_and_add(&d->packets, 1);
	__sync_fetch_and_add(&d->bytes, p->ip_bytes);
	f->last_ns = now;
	if (p->protocol == IPPROTO_TCP) {
		/* Written only when a flag is new: the entry's cache line is shared by the CPUs that
		 * carry the two directions, and a store that changes nothing still takes it from them. */
		if ((d->tcp_flags | p->tcp_flags) != d->tcp_flags)
			d->tcp_flags |= p->tcp_flags;
		__u8 sender = b_to_a ? FA_SIDE_B : FA_SIDE_A;
		if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && f->syn_side == FA_SIDE_NONE)
			f->syn_side = sender;
		if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) && f->syn_ack_side == FA_SIDE_NONE)
			f->syn_ack_side = sender;
	}
}

/*
 * A SYN without ACK on an entry whose connection has closed (a FIN or an RST seen) opens a new
 * connection on the same tuple: a client port used again while the server's socket is in
 * TIME_WAIT. As a conntrack entry does, the entry starts afresh with the SYN, after the closed
 * connection's final counters have gone to the ring buffer (ahead of the new connection's payload
 * chunks). With the ring buffer full they cannot go, and the SYN is counted in the old entry
 * (reuse_not_split). docs/ebpf.md, "A reused tuple".
 */
static __always_inline void restart_if_reused(struct work *w, struct fa_flow *f, const struct packet *p, __u64 now)
{
	if ((p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return;
	if (((f->dir[0].tcp_flags | f->dir[1].tcp_flags) & (TCP_FIN | TCP_RST)) == 0)
		return;
	struct fa_reused_event *ev = bpf_ringbuf_reserve(&payloads, sizeof(*ev), 0);
	if (!ev) {
		count(FA_C_REUSE_NOT_SPLIT);
		return;
	}
	ev->key = w->key;
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	ev->kind = FA_EVENT_REUSED;
	ev->flow = *f;
	bpf_ringbuf_submit(ev, 0);
	count(FA_C_REUSED);
	__builtin_memset(f->dir, 0, sizeof(f->dir));
	f->first_ns = now;
	f->syn_side = FA_SIDE_NONE;
	f->syn_ack_side = FA_SIDE_NONE;
}

/* A TCP packet without SYN of a connection the loader ended as closed and deleted (its last ACK
 * or a retransmitted FIN after the linger) is not a new flow: counted once, on the interface that
 * counted the connection, and otherwise left alone. */
static __always_inline int late_after_close(struct __sk_buff *skb, const struct packet *p, const struct fa_flow_key *key, __u64 now)
{
	if (p->protocol != IPPROTO_TCP || (p->tcp_flags & TCP_SYN))
		return 0;
	struct fa_closed *c = bpf_map_lookup_elem(&closed, key);
	if (!c || now - c->closed_ns > LATE_WINDOW_NS)
		return 0;
	if (c->if_index == skb->ifindex)
		count(FA_C_LATE_AFTER_CLOSE);
	return 1;
}

static __always_inline void account(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct work *w = bpf_map_lookup_elem(&scratch, &zero);
	if (!w)
		return;
	struct packet *p = &w->p;
	__builtin_memset(p, 0, sizeof(*p));
	__u32 off = ETH_HLEN;
	__u16 proto;
	count(FA_C_PACKETS);
	if (load(skb, 12, &proto, sizeof(proto)) < 0) {
		count(FA_C_TRUNCATED);
		return;
	}
#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (proto != bpf_htons(ETH_P_8021Q_) && proto != bpf_htons(ETH_P_8021AD_))
			break;
		if (load(skb, off + 2, &proto, sizeof(proto)) < 0) {
			count(FA_C_TRUNCATED);
			return;
		}
		off += 4;
	}
	int parsed;
	if (proto == bpf_htons(ETH_P_IP))
		parsed = parse_ipv4(skb, off, w);
	else if (proto == bpf_htons(ETH_P_IPV6))
		parsed = parse_ipv6(skb, off, w);
	else {
		count(FA_C_NOT_IP);
		return;
	}
	if (parsed == -1)
		count(FA_C_TRUNCATED);
	if (parsed < 0)
		return;

	struct fa_flow_key *key = &w->key;
	int b_to_a = compare_ends(p->src, p->sport, p->dst, p->dport) > 0;
	if (b_to_a) {
		__builtin_memcpy(key->addr_a, p->dst, 16);
		__builtin_memcpy(key->addr_b, p->src, 16);
		key->port_a = p->dport;
		key->port_b = p->sport;
	} else {
		__builtin_memcpy(key->addr_a, p->src, 16);
		__builtin_memcpy(key->addr_b, p->dst, 16);
		key->port_a = p->sport;
		key->port_b = p->dport;
	}
	key->protocol = p->protocol;
	key->ip_version = p->ip_version;
	key->pad[0] = key->pad[1] = 0;

	/* The clock is read once a pass, and not on a pass skipped as a duplicate. */
	__u64 now = 0;
	struct fa_flow *f = bpf_map_lookup_elem(&flows, key);
	if (!f) {
		now = bpf_ktime_get_boot_ns();
		if (late_after_close(skb, p, key, now))
			return;
		struct fa_flow *fresh = &w->fresh;
		__builtin_memset(fresh, 0, sizeof(*fresh));
		fresh->first_ns = now;
		fresh->if_index = skb->ifindex;
		/* A first packet without payload (a SYN) is counted in the entry it inserts, which then
		 * needs no second lookup; one with payload is counted in the entry found after it. */
		int whole = p->payload_len == 0;
		if (whole) {
			struct fa_direction *d = &fresh->dir[b_to_a & 1];
			count_packet(fresh, d, p, b_to_a, now);
			if (p->protocol == IPPROTO_TCP && payload_limit > 0)
				set_stream_base(d, p);
		}
		/* BPF_NOEXIST: another CPU may have inserted it meanwhile; then that entry counts it. */
		long err = bpf_map_update_elem(&flows, key, fresh, BPF_NOEXIST);
		if (whole && err == 0)
			return;
		f = bpf_map_lookup_elem(&flows, key);
		if (!f) {
			if (err < 0)
				count(FA_C_MAP_FULL);
			return;
		}
	}
	/* Each packet once: only the interface that saw the flow first counts it (docs/ebpf.md). */
	if (f->if_index != skb->ifindex) {
		count(FA_C_DUPLICATE_HOOK);
		return;
	}
	if (!now)
		now = bpf_ktime_get_boot_ns();
	if (p->tcp_flags & TCP_SYN)
		restart_if_reused(w, f, p, now);
	struct fa_direction *d = &f->dir[b_to_a & 1];
	count_packet(f, d, p, b_to_a, now);
	if (payload_limit > 0 && (p->payload_len > 0 || p->protocol == IPPROTO_TCP))
		send_payload(skb, w, d, b_to_a);
}

SEC("tc")
int flowaudit_in(struct __sk_buff *skb)
{
	account(skb);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int flowaudit_eg(struct __sk_buff *skb)
{
	account(skb);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
