/* Maildock - SPDX-License-Identifier: MIT
 *
 * sd_notify(3) calls for Type=notify systemd units, compiled to nothing
 * without libsystemd (./configure --without-systemd or no libsystemd-dev).
 */
#include <unistd.h>
#include "core/compat.h"
#include "core/notify.h"
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#ifdef HAVE_SYSTEMD
void
notify_ready(void)
{
	sd_notifyf(0, "READY=1\nMAINPID=%ld\nSTATUS=serving",
		   (long)getpid());
}

void
notify_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
}

void
notify_reloaded(bool ok)
{
	sd_notify(0, ok ? "READY=1\nSTATUS=serving"
			: "READY=1\nSTATUS=serving; the last reload failed "
			  "(see the log)");
}

void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
#else
void
notify_ready(void)
{
}

void
notify_reloading(void)
{
}

void
notify_reloaded(bool ok)
{
	(void)ok;
}

void
notify_stopping(void)
{
}
#endif
