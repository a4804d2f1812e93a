/* See hook.h. libbpf-dev 1.1.2 (Debian 12) has no TCX helpers (bpf_program__attach_tcx came in
 * libbpf 1.3): TCX links are made with bpf_link_create and the TCX attach types, whose values
 * are the kernel's UAPI (enum bpf_attach_type, linux 6.6) and never change. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "hook.h"

#define FA_BPF_TCX_INGRESS 46
#define FA_BPF_TCX_EGRESS 47
/* Our tc filters' handle and priority: fixed, so a later run finds an earlier run's. */
#define FA_TC_HANDLE 0xfa17
#define FA_TC_PRIORITY 0xfa17
#define FA_PROG_PREFIX "flowaudit_"

static const enum bpf_tc_attach_point tc_points[2] = { BPF_TC_INGRESS, BPF_TC_EGRESS };

const char *fa_attach_mode_name(enum fa_attach_mode mode)
{
	return mode == FA_ATTACH_TCX ? "tcx" : mode == FA_ATTACH_TC ? "tc" : "auto";
}

static bool is_our_program(__u32 prog_id)
{
	int fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool ours = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(info.name, FA_PROG_PREFIX, strlen(FA_PROG_PREFIX)) == 0;
	close(fd);
	return ours;
}

/* How many tc filters (anyone's) sit on the clsact qdisc of `ifindex`, by an rtnetlink dump of
 * both its parents; -1 if that cannot be told. */
static int clsact_filter_count(int ifindex)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	struct timeval timeout = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	int count = 0;
	static const __u32 parents[2] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	for (int p = 0; p < 2 && count >= 0; p++) {
		struct {
			struct nlmsghdr nh;
			struct tcmsg tc;
		} req = {
			.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETTFILTER,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = p + 1 },
			.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parents[p] },
		};
		if (send(fd, &req, sizeof(req), 0) < 0) {
			count = -1;
			break;
		}
		for (bool done = false; !done;) {
			char buf[16384];
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0) {
				count = -1;
				break;
			}
			int len = (int)n;
			for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
				if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR)
					done = true;
				else if (nh->nlmsg_type == RTM_NEWTFILTER)
					count++;
			}
		}
	}
	close(fd);
	return count;
}

/* Our clsact qdisc goes, unless someone has put filters of their own on it since. */
static void remove_our_qdisc_if_empty(const struct fa_hook *h)
{
	if (!h->qdisc_ours || clsact_filter_count(h->ifindex) != 0)
		return;
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, qdisc, .ifindex = h->ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	bpf_tc_hook_destroy(&qdisc);
}

int fa_hook_remove_stale(int ifindex)
{
	int removed = 0;
	for (int i = 0; i < 2; i++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = tc_points[i]);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FA_TC_HANDLE, .priority = FA_TC_PRIORITY);
		if (bpf_tc_query(&hook, &opts) != 0 || !is_our_program(opts.prog_id))
			continue;
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, del, .handle = FA_TC_HANDLE, .priority = FA_TC_PRIORITY);
		if (bpf_tc_detach(&hook, &del) == 0)
			removed++;
	}
	return removed;
}

static int attach_tcx(struct fa_hook *h, const int prog_fd[2])
{
	static const int types[2] = { FA_BPF_TCX_INGRESS, FA_BPF_TCX_EGRESS };
	for (int i = 0; i < 2; i++) {
		h->link_fd[i] = bpf_link_create(prog_fd[i], h->ifindex, (enum bpf_attach_type)types[i], NULL);
		if (h->link_fd[i] < 0) {
			int e = h->link_fd[i];
			h->link_fd[i] = -1;
			fa_hook_detach(h, false);
			return e;
		}
	}
	return 0;
}

static int attach_tc(struct fa_hook *h, const int prog_fd[2])
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, qdisc, .ifindex = h->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int e = bpf_tc_hook_create(&qdisc);
	if (e != 0 && e != -EEXIST)
		return e;
	/* Ours when this run created it, or when it held an earlier run's filters (killed). */
	h->qdisc_ours = e == 0 || h->qdisc_ours;
	for (int i = 0; i < 2; i++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = tc_points[i]);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FA_TC_HANDLE, .priority = FA_TC_PRIORITY,
				    .prog_fd = prog_fd[i], .flags = BPF_TC_F_REPLACE);
		e = bpf_tc_attach(&hook, &opts);
		if (e != 0) {
			fa_hook_detach(h, false);
			return e;
		}
		h->filter[i] = true;
	}
	return 0;
}

int fa_hook_attach(struct fa_hook *h, int ifindex, const int prog_fd[2], enum fa_attach_mode *mode,
		   bool stale_removed, char *err, size_t err_len)
{
	*h = (struct fa_hook){ .ifindex = ifindex, .link_fd = { -1, -1 }, .qdisc_ours = stale_removed };
	int e = -EOPNOTSUPP;
	if (*mode != FA_ATTACH_TC) {
		e = attach_tcx(h, prog_fd);
		if (e == 0) {
			h->mode = *mode = FA_ATTACH_TCX;
			/* An earlier run killed in tc mode left its qdisc: gone once nothing else uses it. */
			remove_our_qdisc_if_empty(h);
			h->qdisc_ours = false;
			return 0;
		}
		/* Before 6.6 the kernel knows no TCX attach type: EINVAL. Anything else is real. */
		if (*mode == FA_ATTACH_TCX || e != -EINVAL) {
			snprintf(err, err_len, "TCX link: %s", strerror(-e));
			return e;
		}
	}
	e = attach_tc(h, prog_fd);
	if (e != 0) {
		snprintf(err, err_len, "tc clsact filter: %s", strerror(-e));
		return e;
	}
	h->mode = *mode = FA_ATTACH_TC;
	return 0;
}

void fa_hook_detach(struct fa_hook *h, bool gone)
{
	for (int i = 0; i < 2; i++) {
		if (h->link_fd[i] >= 0)
			close(h->link_fd[i]);
		h->link_fd[i] = -1;
	}
	if (gone) {
		h->filter[0] = h->filter[1] = h->qdisc_ours = false;
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (!h->filter[i])
			continue;
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = tc_points[i]);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, del, .handle = FA_TC_HANDLE, .priority = FA_TC_PRIORITY);
		bpf_tc_detach(&hook, &del);
	}
	remove_our_qdisc_if_empty(h);
	h->filter[0] = h->filter[1] = h->qdisc_ours = false;
}
