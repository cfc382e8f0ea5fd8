/* SPDX-License-Identifier: MIT */
/* Loading transport plug-ins (see plugin.c and include/ipcbench/transport-plugin.h). */
#ifndef IPCBENCH_PLUGIN_H
#define IPCBENCH_PLUGIN_H

#include "transport.h"

struct ipcbench_transport_plugin;

/* dlopen() path, check its ABI and operations, register it as `name` (NULL
 * or "": the plug-in's own name).  NULL with a one-line reason in err
 * (TP_ERR_LEN) on failure. */
const struct transport_ops *plugin_load(const char *path, const char *name,
					char *err);
/* A loaded plug-in registered as name, or NULL. */
const struct transport_ops *plugin_find(const char *name);
/* The plug-in's own table behind ops (name, version, description). */
const struct ipcbench_transport_plugin *
plugin_info(const struct transport_ops *ops);

#endif
