/* The loader's output: Events of proto/flowaudit.proto on stdout, each preceded by its length
 * as a varint. Buffered; fa_stream_flush() after each turn of the main loop. */
#ifndef FA_EVENT_STREAM_H
#define FA_EVENT_STREAM_H

#include <linux/types.h>
#include <stdbool.h>
#include "flowaudit.h"

enum fa_flow_end { FA_END_LIVE = 0, FA_END_IDLE = 1, FA_END_EVICTED = 2, FA_END_STOP = 3, FA_END_INTERFACE_GONE = 4, FA_END_CLOSED = 5 };

/* Each returns 0, or -1 when stdout is gone (the agent stopped reading): the loader then stops. */
int fa_emit_hello(const char *attach_mode, __u32 max_flows, __u32 ring_bytes, __u32 payload_limit);
/* `boot_to_unix_ns` turns the map's bpf_ktime_get_boot_ns() times into Unix time. */
int fa_emit_flow(const struct fa_flow_key *key, const struct fa_flow *flow, __s64 boot_to_unix_ns, enum fa_flow_end end);
int fa_emit_payload(const struct fa_payload_event *ev);
/* `map_entries`: the flow map's entries at the sweep that writes them. */
int fa_emit_counters(const __u64 counts[FA_C_COUNT], __u64 evicted, __u64 map_entries);
int fa_emit_interface(int ifindex, const char *name, bool attached, const char *mode);
int fa_emit_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fa_stream_flush(void);

#endif
