/* Our two programs on one interface: TCX links where the kernel has them (6.6+; they go away
 * with the loader, even on SIGKILL), else a clsact qdisc with one tc filter per direction. */
#ifndef FA_HOOK_H
#define FA_HOOK_H

#include <stdbool.h>
#include <stddef.h>

enum fa_attach_mode { FA_ATTACH_AUTO, FA_ATTACH_TCX, FA_ATTACH_TC };

struct fa_hook {
	int ifindex;
	enum fa_attach_mode mode; /* TCX or TC once attached */
	int link_fd[2];           /* TCX: ingress, egress links; -1 otherwise */
	bool filter[2];           /* TC: our filter is on ingress, egress */
	bool qdisc_ours;          /* TC: the clsact qdisc is ours to remove (created by this run, or
				   * holding an earlier killed run's filters) */
};

/* Removes tc filters our programs left on `ifindex` (an earlier loader killed in tc mode):
 * those at our handle and priority whose program name starts "flowaudit_". Returns how many. */
int fa_hook_remove_stale(int ifindex);

/* Attaches prog_fd[0] on ingress and prog_fd[1] on egress. `*mode` AUTO tries TCX first and is
 * set to what worked. `stale_removed`: fa_hook_remove_stale found an earlier run's filters here,
 * so an existing clsact qdisc is ours. Returns 0, or a negative errno with `err` saying what failed. */
int fa_hook_attach(struct fa_hook *h, int ifindex, const int prog_fd[2], enum fa_attach_mode *mode,
		   bool stale_removed, char *err, size_t err_len);

/* Undoes what fa_hook_attach did: links closed; our filters removed, and our clsact qdisc when no
 * filter is left on it. `gone`: the interface no longer exists (nothing to detach). */
void fa_hook_detach(struct fa_hook *h, bool gone);

const char *fa_attach_mode_name(enum fa_attach_mode mode);

#endif
