/* Maildock - SPDX-License-Identifier: MIT
 *
 * Telling the service manager how the daemon is doing: systemd's sd_notify
 * protocol (Type=notify units) when built with libsystemd; without it, or
 * when not started by systemd ($NOTIFY_SOCKET unset), these do nothing.
 */
#ifndef CORE_NOTIFY_H
#define CORE_NOTIFY_H

#include <stdbool.h>

/* notify_ready: start-up is done (listeners bound, privileges dropped):
 * "READY=1" with our pid. notify_reloading / notify_reloaded: around a
 * SIGHUP reload ("RELOADING=1", then "READY=1" with the outcome in
 * STATUS=). notify_stopping: "STOPPING=1". Call from the main thread. */
void notify_ready(void);
void notify_reloading(void);
void notify_reloaded(bool ok);
void notify_stopping(void);

#endif
