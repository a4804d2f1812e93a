/* See event-stream.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event-stream.h"
#include "flowaudit.pb-c.h"

typedef Flowaudit__Loader__Event Event;

/* The largest event is a payload chunk: FA_PAYLOAD_MAX bytes and a key. */
static uint8_t packed[FA_PAYLOAD_MAX + 1024];

static int write_event(const Event *event)
{
	size_t size = flowaudit__loader__event__get_packed_size(event);
	uint8_t prefix[10];
	size_t n = 0;
	for (size_t v = size; ; v >>= 7) {
		prefix[n++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		if (v <= 0x7f)
			break;
	}
	uint8_t *out = size <= sizeof(packed) ? packed : malloc(size);
	if (!out)
		return -1;
	flowaudit__loader__event__pack(event, out);
	int ok = fwrite(prefix, 1, n, stdout) == n && fwrite(out, 1, size, stdout) == size;
	if (out != packed)
		free(out);
	return ok ? 0 : -1;
}

int fa_stream_flush(void)
{
	return fflush(stdout) == 0 ? 0 : -1;
}

int fa_emit_hello(const char *attach_mode, __u32 max_flows, __u32 ring_bytes, __u32 payload_limit)
{
	Flowaudit__Loader__Hello hello = FLOWAUDIT__LOADER__HELLO__INIT;
	hello.schema_version = 1;
	hello.attach_mode = (char *)attach_mode;
	hello.max_flows = max_flows;
	hello.ring_bytes = ring_bytes;
	hello.payload_limit = payload_limit;
	Event event = FLOWAUDIT__LOADER__EVENT__INIT;
	event.kind_case = FLOWAUDIT__LOADER__EVENT__KIND_HELLO;
	event.hello = &hello;
	return write_event(&event);
}

/* IPv4 flows are keyed IPv4-mapped in the kernel; on the wire an address is 4 or 16 bytes. */
static void fill_key(Flowaudit__Loader__FlowKey *out, const struct fa_flow_key *key)
{
	int v4 = key->ip_version == 4;
	out->ip_version = key->ip_version;
	out->protocol = key->protocol;
	out->address_a.data = (uint8_t *)key->addr_a + (v4 ? 12 : 0);
	out->address_b.data = (uint8_t *)key->addr_b + (v4 ? 12 : 0);
	out->address_a.len = out->address_b.len = v4 ? 4 : 16;
	out->port_a = key->port_a;
	out->port_b = key->port_b;
}

static void fill_direction(Flowaudit__Loader__DirectionCounters *out, const struct fa_direction *d)
{
	out->packets = d->packets;
	out->bytes = d->bytes;
	out->tcp_flags = d->tcp_flags;
}

int fa_emit_flow(const struct fa_flow_key *key, const struct fa_flow *flow, __s64 boot_to_unix_ns, enum fa_flow_end end)
{
	Flowaudit__Loader__FlowKey k = FLOWAUDIT__LOADER__FLOW_KEY__INIT;
	Flowaudit__Loader__DirectionCounters ab = FLOWAUDIT__LOADER__DIRECTION_COUNTERS__INIT;
	Flowaudit__Loader__DirectionCounters ba = FLOWAUDIT__LOADER__DIRECTION_COUNTERS__INIT;
	Flowaudit__Loader__Flow f = FLOWAUDIT__LOADER__FLOW__INIT;
	fill_key(&k, key);
	fill_direction(&ab, &flow->dir[0]);
	fill_direction(&ba, &flow->dir[1]);
	f.key = &k;
	f.a_to_b = &ab;
	f.b_to_a = &ba;
	f.syn_side = (Flowaudit__Loader__Side)flow->syn_side;
	f.syn_ack_side = (Flowaudit__Loader__Side)flow->syn_ack_side;
	f.first_ns = flow->first_ns + boot_to_unix_ns;
	f.last_ns = flow->last_ns + boot_to_unix_ns;
	f.if_index = flow->if_index;
	f.end = (Flowaudit__Loader__FlowEnd)end;
	Event event = FLOWAUDIT__LOADER__EVENT__INIT;
	event.kind_case = FLOWAUDIT__LOADER__EVENT__KIND_FLOW;
	event.flow = &f;
	return write_event(&event);
}

int fa_emit_payload(const struct fa_payload_event *ev)
{
	Flowaudit__Loader__FlowKey k = FLOWAUDIT__LOADER__FLOW_KEY__INIT;
	Flowaudit__Loader__PayloadChunk chunk = FLOWAUDIT__LOADER__PAYLOAD_CHUNK__INIT;
	fill_key(&k, &ev->key);
	chunk.key = &k;
	chunk.b_to_a = ev->b_to_a;
	chunk.offset = ev->offset;
	chunk.data.data = (uint8_t *)ev->data;
	chunk.data.len = ev->len <= FA_PAYLOAD_MAX ? ev->len : FA_PAYLOAD_MAX;
	Event event = FLOWAUDIT__LOADER__EVENT__INIT;
	event.kind_case = FLOWAUDIT__LOADER__EVENT__KIND_PAYLOAD;
	event.payload = &chunk;
	return write_event(&event);
}

int fa_emit_counters(const __u64 c[FA_C_COUNT], __u64 evicted, __u64 map_entries)
{
	Flowaudit__Loader__Counters counters = FLOWAUDIT__LOADER__COUNTERS__INIT;
	counters.packets = c[FA_C_PACKETS];
	counters.duplicate_hook = c[FA_C_DUPLICATE_HOOK];
	counters.ring_reserve_failed = c[FA_C_RING_RESERVE_FAILED];
	counters.map_full = c[FA_C_MAP_FULL];
	counters.evicted = evicted;
	counters.not_ip = c[FA_C_NOT_IP];
	counters.truncated = c[FA_C_TRUNCATED];
	counters.fragments = c[FA_C_FRAGMENTS];
	counters.fragment_without_first = c[FA_C_FRAGMENT_WITHOUT_FIRST];
	counters.too_many_ext_headers = c[FA_C_TOO_MANY_EXT_HEADERS];
	counters.reused_tuples = c[FA_C_REUSED];
	counters.reuse_not_split = c[FA_C_REUSE_NOT_SPLIT];
	counters.late_after_close = c[FA_C_LATE_AFTER_CLOSE];
	counters.map_entries = map_entries;
	Event event = FLOWAUDIT__LOADER__EVENT__INIT;
	event.kind_case = FLOWAUDIT__LOADER__EVENT__KIND_COUNTERS;
	event.counters = &counters;
	return write_event(&event);
}

int fa_emit_interface(int ifindex, const char *name, bool attached, const char *mode)
{
	Flowaudit__Loader__InterfaceChange change = FLOWAUDIT__LOADER__INTERFACE_CHANGE__INIT;
	change.if_index = ifindex;
	change.name = (char *)name;
	change.attached = attached;
	change.mode = (char *)mode;
	Event event = FLOWAUDIT__LOADER__EVENT__INIT;
	event.kind_case = FLOWAUDIT__LOADER__EVENT__KIND_INTERFACE;
	event.interface = &change;
	return write_event(&event);
}

int fa_emit_error(const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	Flowaudit__Loader__Error error = FLOWAUDIT__LOADER__ERROR__INIT;
	error.message = text;
	Event event = FLOWAUDIT__LOADER__EVENT__INIT;
	event.kind_case = FLOWAUDIT__LOADER__EVENT__KIND_ERROR;
	event.error = &error;
	return write_event(&event);
}
