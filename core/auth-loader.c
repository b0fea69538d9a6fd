/* Maildock - SPDX-License-Identifier: MIT
 *
 * Loading authentication modules. The file is opened once, checked with
 * fstat (owner root or us, not group/world-writable, as Postfix checks its
 * dynamicmaps; its directory likewise) and loaded by path, after which the
 * file must still be the one checked. Modules log through the host with a thread-local context.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/auth-loader.h"
#include "core/auth-password.h"
#include "core/authd.h"
#include "core/conf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/sbuf.h"

#define MODNAME_MAX 32

static _Thread_local const char *ctx_sid;
static _Thread_local const char *ctx_module;

static char *
errorf(const char *fmt, ...) ATTR_PRINTF(1, 2);

static char *
errorf(const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;
	sbuf_init(&b, NULL, 2048);
	va_start(ap, fmt);
	sbuf_vappendf(&b, fmt, ap);
	va_end(ap);
	return b.data;
}

void
auth_loader_set_context(const char *sid)
{
	ctx_sid = sid;
}

static void host_log(int level, const char *fmt, ...) ATTR_PRINTF(2, 3);

static void
host_log(int level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (level < AUTHMOD_LOG_ERROR || level > AUTHMOD_LOG_DEBUG)
		level = AUTHMOD_LOG_ERROR;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_write((enum log_level)level, ctx_sid, "auth", "%s: %s",
		  ctx_module ? ctx_module : "module", line);
}

static const char *
host_setting(const void *conf, const char *key)
{
	const struct auth_modconf *mc = conf;
	char full[256];

	if (mc == NULL || key == NULL ||
	    (size_t)snprintf(full, sizeof(full), "auth.%s.%s", mc->name, key) >=
	    sizeof(full))
		return NULL;
	const char *v = conf_value(mc->conf, full);
	return v != NULL && *v != '\0' ? v : NULL;
}

static int
host_password_verify(const char *password, const char *stored)
{
	int r = auth_password_verify(password, stored);
	if (r == 0)
		return AUTHMOD_OK;
	return r == -ERR_PERM ? AUTHMOD_FAIL : AUTHMOD_ERROR;
}

static const struct authmod_host host = {
	.abi = AUTHMOD_ABI,
	.log = host_log,
	.setting = host_setting,
	.password_verify = host_password_verify,
};

static bool
valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > MODNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return false;
	return true;
}

/* who may have written st: root or us, and nobody else */
static const char *
unsafe(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "owned by another user";
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return "group or world writable";
	return NULL;
}

/* open path and check who may have written it and its directory */
static int
open_checked(const char *path, struct stat *st_r, char **error_r)
{
	char ebuf[128], dir[4096];
	struct stat st, dst;
	const char *why;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		int e = errno;
		*error_r = errorf("auth module %s: %s%s", path,
				  errno_str(e, ebuf, sizeof(ebuf)),
				  e == ENOENT ? " (is it installed? see "
				  "auth.module_dir)" : "");
		return e == ENOENT ? -ERR_NOTFOUND : -ERR_PERM;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = errorf("auth module %s: not a regular file", path);
		close(fd);
		return -ERR_PERM;
	}
	close(fd);
	if ((why = unsafe(&st)) != NULL) {
		*error_r = errorf("auth module %s: refused: %s (uid %u, mode "
				  "%04o; must be root's or uid %u's and not "
				  "writable by others)", path, why,
				  (unsigned)st.st_uid,
				  (unsigned)(st.st_mode & 07777),
				  (unsigned)geteuid());
		return -ERR_PERM;
	}
	/* whoever can write the directory can swap the file after the check */
	str_copy(dir, path, sizeof(dir));
	*strrchr(dir, '/') = '\0';
	if (stat(dir[0] ? dir : "/", &dst) < 0 ||
	    ((why = unsafe(&dst)) != NULL && (dst.st_mode & S_ISVTX) == 0)) {
		*error_r = errorf("auth module %s: refused: its directory is %s",
				  path, why ? why : "unreadable");
		return -ERR_PERM;
	}
	*st_r = st;
	return 0;
}

static int
check_entry(const char *path, const char *name, const struct authmod *mod,
	    char **error_r)
{
	if (mod->abi != AUTHMOD_ABI) {
		*error_r = errorf("auth module %s: ABI version %u, this "
				  "maildockd needs %u (rebuild the module)",
				  path, mod->abi, AUTHMOD_ABI);
		return -ERR_INVAL;
	}
	if (mod->struct_size != sizeof(struct authmod)) {
		*error_r = errorf("auth module %s: struct authmod of %zu bytes, "
				  "expected %zu (built against another "
				  "authmod.h)", path, mod->struct_size,
				  sizeof(struct authmod));
		return -ERR_INVAL;
	}
	if (mod->name == NULL || strcmp(mod->name, name) != 0) {
		*error_r = errorf("auth module %s: calls itself \"%s\", not "
				  "\"%s\"", path, mod->name ? mod->name : "",
				  name);
		return -ERR_INVAL;
	}
	if (mod->init == NULL || mod->verify == NULL || mod->lookup == NULL ||
	    mod->deinit == NULL) {
		*error_r = errorf("auth module %s: a required function is "
				  "missing", path);
		return -ERR_INVAL;
	}
	return 0;
}

int
auth_loader_open(const char *dir, const char *name, struct auth_module *m,
		 char **error_r)
{
	char path[4096];
	struct stat st, st2;
	int ret;

	if (!valid_name(name)) {
		*error_r = errorf("auth module name \"%s\" is invalid (a-z, 0-9 "
				  "and _ only)", name);
		return -ERR_INVAL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/libauth_%s.so", dir,
			     name) >= sizeof(path)) {
		*error_r = errorf("auth.module_dir is too long");
		return -ERR_INVAL;
	}
	ret = open_checked(path, &st, error_r);
	if (ret < 0)
		return ret;
	/* dlopen by the real path: glibc shares one object per name, which
	 * is right for reloads; then make sure the file is still the one
	 * checked */
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		*error_r = errorf("auth module %s: %s", path, e ? e : "dlopen "
				  "failed");
		return -ERR_INVAL;
	}
	if (stat(path, &st2) < 0 || st2.st_dev != st.st_dev ||
	    st2.st_ino != st.st_ino) {
		*error_r = errorf("auth module %s: replaced while loading",
				  path);
		dlclose(h);
		return -ERR_PERM;
	}
	const struct authmod *mod = dlsym(h, "authmod_entry");
	if (mod == NULL) {
		*error_r = errorf("auth module %s: no authmod_entry symbol (not "
				  "a Maildock auth module)", path);
		dlclose(h);
		return -ERR_INVAL;
	}
	ret = check_entry(path, name, mod, error_r);
	if (ret < 0) {
		dlclose(h);
		return ret;
	}
	m->name = xstrdup(name);
	m->handle = h;
	m->mod = mod;
	m->helper_index = -1;
	pthread_mutex_init(&m->lock, NULL);
	return 0;
}

int
auth_loader_init(struct auth_module *m, const struct conf *conf,
		 char **error_r)
{
	const char *err = NULL;

	m->mconf.conf = conf;
	m->mconf.name = m->name;
	ctx_module = m->name;
	int r = m->mod->init(&host, &m->mconf, &m->state, &err);
	ctx_module = NULL;
	if (r != 0) {
		*error_r = errorf("auth module %s: %s", m->name,
				  err ? err : "initialisation failed");
		return -ERR_INVAL;
	}
	m->initialised = true;
	return 0;
}

void
auth_loader_close(struct auth_module *m)
{
	if (m->mod == NULL)
		return;
	if (m->initialised) {
		ctx_module = m->name;
		m->mod->deinit(m->state);
		ctx_module = NULL;
	}
	pthread_mutex_destroy(&m->lock);
	dlclose(m->handle);
	free(m->name);
	memset(m, 0, sizeof(*m));
}

static int
call(struct auth_module *m, const char *user, const char *password,
     bool verify, struct authmod_user *u_r)
{
	bool serial = (m->mod->flags & AUTHMOD_THREADSAFE) == 0;
	int r;

	memset(u_r, 0, offsetof(struct authmod_user, buf));
	u_r->uid = (uid_t)-1;
	u_r->gid = (gid_t)-1;
	if (m->helper_index >= 0)
		return authd_call(m->helper_index, user,
				  verify ? password : NULL, u_r);
	if (serial)
		pthread_mutex_lock(&m->lock);
	const char *saved = ctx_module;
	ctx_module = m->name;
	if (verify)
		r = m->mod->verify(m->state, user, password, u_r);
	else
		r = m->mod->lookup(m->state, user, u_r);
	ctx_module = saved;
	if (serial)
		pthread_mutex_unlock(&m->lock);
	if (r > AUTHMOD_OK || r < AUTHMOD_ERROR)
		r = AUTHMOD_ERROR;
	return r;
}

int
auth_module_verify(struct auth_module *m, const char *user,
		   const char *password, struct authmod_user *u_r)
{
	return call(m, user, password, true, u_r);
}

int
auth_module_lookup(struct auth_module *m, const char *user,
		   struct authmod_user *u_r)
{
	return call(m, user, NULL, false, u_r);
}
