#!/bin/bash
# Install the Debian packages Maildock needs, only those missing.
#   tools/deps.sh build   to build and run the demo
#   tools/deps.sh test    to build and run every test (adds servers and clients;
#                         dovecot-dev and dovecot-core, which holds libdovecot
#                         and which dovecot-dev does not pull in, to build
#                         imaptest from ../shared/imaptest)
# Needs root (or nothing to install); non-interactive.
set -euo pipefail
build=(build-essential autoconf automake libtool pkg-config openssl
       libssl-dev libcrypt-dev libpam0g-dev libldap2-dev libmariadb-dev
       libcap-dev libsystemd-dev zlib1g-dev libsqlite3-dev)
test=(libcmocka-dev python3 python3-pytest clang libclang-rt-14-dev
      libfuzzer-14-dev libpam-wrapper libnss-wrapper slapd ldap-utils
      mariadb-server mariadb-client fetchmail getmail6 isync curl procps
      offlineimap3 mutt libargon2-1 python3-cryptography dovecot-core
      dovecot-dev
      postfix dovecot-imapd dovecot-pop3d
      haproxy nginx-light libnginx-mod-mail prometheus
      dpkg-dev debhelper lintian)
# Courier-IMAP conflicts in dpkg with dovecot-imapd (both provide
# imap-server): the migration tests run it unpacked here (dpkg-deb -x),
# in a mount namespace of its own (t/proto/courier-run.sh)
courier=(courier-imap courier-pop courier-base courier-authdaemon
	 courier-authlib courier-authlib-userdb libcourier-unicode4 libgamin0
	 gamin)
courier_root=${MAILDOCK_COURIER_ROOT:-/var/cache/maildock/courier}
unpack_courier() {
	[ -x "$courier_root/usr/bin/imapd" ] &&
		[ -x "$courier_root/usr/lib/courier/courier/courierpop3d" ] &&
		return 0
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get -o DPkg::Lock::Timeout=600 download \
		"${courier[@]}") || { rm -rf "$tmp"; return 1; }
	mkdir -p "$courier_root"
	for f in "$tmp"/*.deb; do dpkg-deb -x "$f" "$courier_root"; done
	rm -rf "$tmp"
}
want=("${build[@]}")
[ "${1:-build}" = test ] && want+=("${test[@]}")
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ "${1:-build}" = test ] && [ "$(id -u)" -eq 0 ]; then
	unpack_courier
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages (run as root to install): ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# servers installed for tests must not start system-wide instances
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
echo "installing: ${missing[*]}"
# wait (up to 10 minutes) for another apt or unattended-upgrades holding the
# dpkg lock, instead of failing at once
apt=(apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -q
"${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"
