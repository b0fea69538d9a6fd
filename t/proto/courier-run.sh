#!/bin/sh
# Run Debian's Courier-IMAP (unpacked with dpkg-deb -x into $1) on loopback
# port $3 with courier-authdaemon and a userdb ($4: "user<TAB>fields" lines),
# in a mount namespace of its own (run under "unshare -m"): authlib's paths
# (/etc/courier, /run/courier, /usr/lib/courier-authlib) are compiled in, so
# overlays give it those without touching the host. $2 is a scratch dir.
# With $5, Courier's pop3d (courier-pop) listens there too.
set -eu
root=$1 work=$2 port=$3 userdb=$4 pop3_port=${5:-}
mount --make-rprivate /
for d in etc usr/lib; do
	mkdir -p "$work/ov/$d/u" "$work/ov/$d/w"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ov/$d/u,workdir=$work/ov/$d/w" "/$d"
done
mount -t tmpfs tmpfs /run
cp -a "$root/etc/courier" /etc/
cp -a "$root/usr/lib/courier" "$root/usr/lib/courier-authlib" /usr/lib/
cp -a "$root"/usr/lib/libcourierauth* /usr/lib/
cp -a "$root"/usr/lib/x86_64-linux-gnu/* /usr/lib/x86_64-linux-gnu/
mkdir -p /run/courier/authdaemon
sed -i 's/^authmodulelist=.*/authmodulelist="authuserdb"/' /etc/courier/authdaemonrc
cp "$userdb" /etc/courier/userdb
chmod 600 /etc/courier/userdb
"$root/usr/sbin/makeuserdb"
"$root/usr/lib/courier/courier-authlib/authdaemond" &
i=0
while [ ! -S /run/courier/authdaemon/socket ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
if [ -n "$pop3_port" ]; then
	(set -a; . /etc/courier/pop3d; set +a
	 exec "$root/usr/sbin/couriertcpd" -address=127.0.0.1 -nodnslookup \
		-noidentlookup -maxprocs=40 "$pop3_port" \
		"$root/usr/lib/courier/courier/courierpop3login" \
		"$root/usr/lib/courier/courier/courierpop3d" Maildir) &
fi
set -a
. /etc/courier/imapd
set +a
exec "$root/usr/sbin/couriertcpd" -address=127.0.0.1 -nodnslookup \
	-noidentlookup -maxprocs=40 "$port" \
	"$root/usr/lib/courier/courier/imaplogin" "$root/usr/bin/imapd" Maildir
