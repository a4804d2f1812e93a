/* Shared between the kernel side (flowaudit.bpf.c) and the loader (flowaudit.c): map keys and
 * values, the payload event and the counter indexes. No kernel headers: the includer provides
 * __u8.. __u64 (vmlinux-free <linux/types.h> on both sides). */
#ifndef FLOWAUDIT_H
#define FLOWAUDIT_H

/* Payload bytes sent per flow and direction at most, and so the largest chunk (one GSO packet
 * may carry all of it). 4096 is the flow table's own bound (README, --payload-limit). */
#define FA_PAYLOAD_MAX 4096

/* Both ends of a flow, A the lower (address, port) pair: both directions share one key. IPv4
 * addresses are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d), as the TS flow table keys them. */
struct fa_flow_key {
	__u8 addr_a[16];
	__u8 addr_b[16];
	__u16 port_a;
	__u16 port_b;
	__u8 protocol;
	__u8 ip_version;
	__u8 pad[2];
};

/* What the TLS record walk knows of a TCP direction's stream (docs/ebpf.md, "Payload"). */
enum fa_tls {
	FA_TLS_UNKNOWN = 0, /* no payload yet */
	FA_TLS_WALKING,     /* the stream opened like TLS: its record headers are followed */
	FA_TLS_PLAIN,       /* not TLS, or the walk lost its place: payload up to the limit */
	FA_TLS_DONE,        /* the handshake is over: payload stops after the header at tls_record */
};

struct fa_direction {
	__u64 packets;
	__u64 bytes;      /* IP-layer bytes, headers included */
	__u32 tcp_flags;  /* OR of the flags seen */
	__u32 payload_base; /* TCP: sequence number at stream offset 0 */
	__u32 payload_sent; /* stream offset up to which payload went to the ring buffer */
	__u32 tls_record;   /* stream offset of the next TLS record header (the ending one when done) */
	__u8 base_known;    /* payload_base is set */
	__u8 tls;           /* enum fa_tls */
	__u8 tls_length_hi; /* a record length's high byte, when its header spans two segments */
	__u8 pad[5];
};

enum fa_side { FA_SIDE_NONE = 0, FA_SIDE_A = 1, FA_SIDE_B = 2 };

/* The flow map's value. Counters are updated with atomic adds: one entry for all CPUs. */
struct fa_flow {
	struct fa_direction dir[2]; /* [0] A to B, [1] B to A */
	__u64 first_ns;             /* bpf_ktime_get_boot_ns() */
	__u64 last_ns;
	__u32 if_index;             /* the interface that counts this flow (first seen) */
	__u8 syn_side;              /* enum fa_side */
	__u8 syn_ack_side;
	__u8 pad[2];
};

/* The closed map's value: when the loader ended a closed TCP connection and deleted its entry,
 * and the interface that counted it (docs/ebpf.md, "Closed connections"). */
struct fa_closed {
	__u64 closed_ns; /* bpf_ktime_get_boot_ns() */
	__u32 if_index;
	__u32 pad;
};

/* Key of the IP fragment map: the first fragment's ports for later fragments of the datagram. */
struct fa_fragment_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 id;
	__u8 protocol;
	__u8 pad[3];
};

struct fa_fragment_ports {
	__u16 sport;
	__u16 dport;
};

/* What a ring buffer record is: its `kind` byte, at the same offset in every record. */
enum fa_event_kind {
	FA_EVENT_PAYLOAD = 0, /* struct fa_payload_event */
	FA_EVENT_REUSED = 1,  /* struct fa_reused_event */
};

/* A ring buffer record: a payload chunk of one flow direction. Only header + len bytes are
 * submitted. */
struct fa_payload_event {
	struct fa_flow_key key;
	__u32 offset;
	__u16 len;
	__u8 b_to_a;
	__u8 kind; /* FA_EVENT_PAYLOAD */
	__u8 data[FA_PAYLOAD_MAX];
};

/* A ring buffer record: a closed TCP connection's final counters, sent when a new connection's
 * SYN reuses its entry (docs/ebpf.md, "A reused tuple"). In the payload ring, so it comes before
 * the new connection's payload chunks. */
struct fa_reused_event {
	struct fa_flow_key key;
	__u8 pad[7];
	__u8 kind; /* FA_EVENT_REUSED */
	struct fa_flow flow;
};

_Static_assert(__builtin_offsetof(struct fa_payload_event, kind) == __builtin_offsetof(struct fa_reused_event, kind),
	       "a ring buffer record's kind is at one offset");

/* Indexes of the per-CPU counters array (Counters in proto/flowaudit.proto). */
enum fa_counter {
	FA_C_PACKETS,
	FA_C_DUPLICATE_HOOK,
	FA_C_RING_RESERVE_FAILED,
	FA_C_MAP_FULL,
	FA_C_NOT_IP,
	FA_C_TRUNCATED,
	FA_C_FRAGMENTS,
	FA_C_FRAGMENT_WITHOUT_FIRST,
	FA_C_TOO_MANY_EXT_HEADERS,
	FA_C_REUSED,           /* entries a new connection's SYN took over from a closed one */
	FA_C_REUSE_NOT_SPLIT,  /* the same, not reported (ring buffer full): counted in the old entry */
	FA_C_LATE_AFTER_CLOSE, /* TCP packets of connections the loader already ended as closed */
	FA_C_COUNT,
};

#endif
