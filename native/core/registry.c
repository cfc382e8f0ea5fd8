// SPDX-License-Identifier: MIT
/*
 * The registry of native transports: the "ipcbench_transports" linker
 * section that TRANSPORT_REGISTER() fills (see transport.h).  Nothing here
 * names a transport.
 */
#include "transport.h"
#include "plugin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ld defines these for every section whose name is a C identifier. */
extern const struct transport_ops *const __start_ipcbench_transports[];
extern const struct transport_ops *const __stop_ipcbench_transports[];

const struct transport_ops *const *transport_all(size_t *n)
{
	*n = (size_t)(__stop_ipcbench_transports - __start_ipcbench_transports);
	return __start_ipcbench_transports;
}

const struct transport_ops *transport_find(const char *name)
{
	size_t i, n;
	const struct transport_ops *const *all = transport_all(&n);

	for (i = 0; i < n; i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return plugin_find(name); /* a loaded plug-in (plugin.c) */
}

int transport_variant(const struct transport_ops *ops, const char *variant)
{
	int i;

	if (!variant || !*variant)
		return 0;
	for (i = 0; ops->variants && ops->variants[i]; i++)
		if (!strcmp(ops->variants[i], variant))
			return i;
	return -EINVAL;
}

int tp_fail(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, TP_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return rc < 0 ? rc : -rc;
}

int tp_connect_none(struct tp_conn *conn, char *err)
{
	(void)conn;
	(void)err;
	return 0;
}

int tp_expect_fds(int n_fds, int want, char *err)
{
	if (n_fds == want)
		return 0;
	return tp_fail(err, -EINVAL, "expected %d inherited fd%s, got %d", want,
		       want == 1 ? "" : "s", n_fds);
}

void tp_peers_close(struct tp_peer_fds *peers, unsigned n)
{
	unsigned i;
	int k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < peers[i].n; k++)
			close(peers[i].fds[k]);
		peers[i].n = 0;
	}
}
