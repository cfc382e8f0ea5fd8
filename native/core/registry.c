// SPDX-License-Identifier: MIT
/* The one table of native transports: adding a transport adds one line here. */
#include "transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const struct transport_ops pipe_ops;
extern const struct transport_ops unix_stream_ops;
extern const struct transport_ops unix_seqpacket_ops;
extern const struct transport_ops shm_ops;
extern const struct transport_ops shm_spin_ops;
extern const struct transport_ops binder_ops;	/* a stub where <linux/android/binder.h> is missing */
extern const struct transport_ops kdbus_ops, kdbus_memfd_ops, kdbus_meta_ops,
	kdbus_name_ops;	/* stubs off Linux */
#ifdef HAVE_SDBUS	/* binding.gyp: only where libsystemd is installed */
extern const struct transport_ops dbus_sdbus_ops;
extern const struct transport_ops dbus_sdbus_memfd_ops;
extern const struct transport_ops dbus_p2p_ops;
#endif
#ifdef HAVE_LIBDBUS	/* binding.gyp: only where libdbus-1 is installed */
extern const struct transport_ops dbus_libdbus_ops;
#endif

static const struct transport_ops *const registry[] = {
	&pipe_ops,
	&unix_stream_ops,
	&unix_seqpacket_ops,
	&shm_ops,
	&shm_spin_ops,
	&binder_ops,
	&kdbus_ops, &kdbus_memfd_ops, &kdbus_meta_ops, &kdbus_name_ops,
#ifdef HAVE_SDBUS
	&dbus_sdbus_ops,
	&dbus_sdbus_memfd_ops,
	&dbus_p2p_ops,
#endif
#ifdef HAVE_LIBDBUS
	&dbus_libdbus_ops,
#endif
	NULL,
};

const struct transport_ops *const *transport_all(void)
{
	return registry;
}

const struct transport_ops *transport_find(const char *name)
{
	const struct transport_ops *const *t;

	for (t = registry; *t; t++)
		if (!strcmp((*t)->name, name))
			return *t;
	return NULL;
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
