/* See netlink-links.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include "netlink-links.h"

int fa_links_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl local = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		goto fail;
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	if (send(fd, &req, sizeof(req), 0) < 0)
		goto fail;
	return fd;
fail:;
	int e = -errno;
	close(fd);
	return e;
}

static void parse_link(struct nlmsghdr *nh, struct fa_link *link)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	memset(link, 0, sizeof(*link));
	link->ifindex = ifi->ifi_index;
	link->type = ifi->ifi_type;
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME) {
			strncpy(link->name, RTA_DATA(a), sizeof(link->name) - 1);
		} else if (a->rta_type == IFLA_LINKINFO) {
			int info_len = RTA_PAYLOAD(a);
			for (struct rtattr *i = RTA_DATA(a); RTA_OK(i, info_len); i = RTA_NEXT(i, info_len)) {
				if (i->rta_type == IFLA_INFO_KIND)
					strncpy(link->kind, RTA_DATA(i), sizeof(link->kind) - 1);
			}
		}
	}
}

int fa_links_read(int fd, fa_link_cb cb, void *ctx)
{
	char buf[32768];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		int len = (int)n;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
				continue;
			struct fa_link link;
			parse_link(nh, &link);
			cb(&link, nh->nlmsg_type == RTM_DELLINK, ctx);
		}
	}
}
