#!/bin/bash
# Build Maildock and run a demo server on loopback (foreground; Ctrl-C stops):
# one demo user, a Maildir with sample messages, a self-signed certificate,
# IMAP 1143, IMAPS 1993, POP3 1110, POP3S 1995.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
t0=$SECONDS
stage() {	# stage TEXT: one progress line with the time since the start
	printf '[%3ds] %s\n' $((SECONDS - t0)) "$1"
}
stage "checking the Debian packages the build needs"
bash tools/deps.sh build
mkdir -p build-demo
if [ ! -x configure ]; then
	stage "autogen.sh: generating configure"
	./autogen.sh > /dev/null 2>&1
fi
if [ ! -f build-demo/Makefile ]; then
	stage "configure"
	(cd build-demo && ../configure -q)
fi
stage "compiling (the first time takes a few minutes on a small machine)"
(cd build-demo && make -j"$(nproc)" > make.log 2>&1) || {
	tail -n 40 build-demo/make.log; exit 1; }
stage "built"

# As root the server drops to "nobody", which must reach the mail: keep the
# demo data outside a (possibly private) home directory then.
if [ "$(id -u)" -eq 0 ]; then
	demo=${MAILDOCK_DEMO_DIR:-/var/tmp/maildock-demo}
else
	demo=${MAILDOCK_DEMO_DIR:-$top/demo}
fi
mkdir -p "$demo"
chmod 755 "$demo"
if [ ! -f "$demo/cert.pem" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
		-keyout "$demo/key.pem" -out "$demo/crt.pem" 2> /dev/null
	cat "$demo/key.pem" "$demo/crt.pem" > "$demo/cert.pem"
	rm -f "$demo/key.pem" "$demo/crt.pem"
	chmod 600 "$demo/cert.pem"
fi
echo 'demo@example.org:{PLAIN}demo::::::' > "$demo/users"
md=$demo/mail/example.org/demo/Maildir
if [ ! -d "$md" ]; then
	mkdir -p "$md"/{tmp,new,cur} "$md"/.Archive/{tmp,new,cur}
	touch "$md/.Archive/maildirfolder"
	n=0
	for subj in "Welcome to Maildock" "Your IMAP and POP3 server" "A third message"; do
		n=$((n + 1))
		printf 'From: Maildock <postmaster@example.org>\r\nTo: demo@example.org\r\nSubject: %s\r\nDate: Mon, 01 Jan 2024 10:0%d:00 +0000\r\nMessage-ID: <demo%d@example.org>\r\n\r\nThis is sample message %d of the Maildock demo.\r\n' \
			"$subj" "$n" "$n" "$n" > "$md/new/170410000$n.M0P0Q$n.demo"
	done
fi
user=
if [ "$(id -u)" -eq 0 ]; then
	# never serve as root: run as nobody after binding
	user=nobody
	chown -R nobody:nogroup "$demo/mail"
	# readable by the server's group, so a reload (SIGHUP) re-reads it
	chgrp nogroup "$demo/cert.pem"
	chmod 640 "$demo/cert.pem"
fi
cat > "$demo/maildock.conf" <<CONF
# Demo configuration written by tools/demo.sh
imap.listen = 127.0.0.1:1143
imaps.listen = 127.0.0.1:1993
pop3.listen = 127.0.0.1:1110
pop3s.listen = 127.0.0.1:1995
server.user = $user
tls.cert_file = $demo/cert.pem
auth.modules = pwfile
auth.module_dir = $top/build-demo/authmods/.libs
auth.pwfile.path = $demo/users
mail.location = $demo/mail/%d/%n/Maildir
log.level = info
CONF
cat <<TXT
Maildock demo: user demo@example.org, password demo.
  IMAP   127.0.0.1:1143 (STARTTLS)   e.g. curl -u demo@example.org:demo imap://127.0.0.1:1143/INBOX -X 'FETCH 1 ENVELOPE'
  IMAPS  127.0.0.1:1993              e.g. openssl s_client -quiet -connect 127.0.0.1:1993
  POP3   127.0.0.1:1110 (STLS)       e.g. curl -u demo@example.org:demo pop3://127.0.0.1:1110/1
  POP3S  127.0.0.1:1995
Configuration: $demo/maildock.conf. Stop with Ctrl-C.
TXT
exec "$top/build-demo/maildockd" -F -c "$demo/maildock.conf"
