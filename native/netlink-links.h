/* The network interfaces of the loader's namespace as they come and go: one rtnetlink socket
 * subscribed to link changes, primed with a dump of the links present. */
#ifndef FA_NETLINK_LINKS_H
#define FA_NETLINK_LINKS_H

#include <stdbool.h>
#include <net/if.h>

struct fa_link {
	int ifindex;
	char name[IF_NAMESIZE];
	char kind[32];    /* IFLA_INFO_KIND: "veth", "bridge", ... ("" for a physical device) */
	unsigned int type; /* ARPHRD_* */
};

typedef void (*fa_link_cb)(const struct fa_link *link, bool removed, void *ctx);

/* Opens the socket (non-blocking) and asks for the dump. Returns the fd or a negative errno. */
int fa_links_open(void);

/* Reads what the socket has now, calling `cb` for each link added, changed or removed. Returns
 * 0, or a negative errno (ENOBUFS: events were lost; the caller dumps again by reopening). */
int fa_links_read(int fd, fa_link_cb cb, void *ctx);

#endif
