# Sourced by the VM's /init in `--mode install` (scripts/install-test.sh):
# consumers built against a staged `make install`, run as root, and /dev/kring
# given to the kring group as the installed udev rule says (the VM has no
# udev, so its GROUP and MODE are applied here), then used by a member of the
# group and refused (EACCES) to a user outside it.
dir=/opt/kring-install
check installed-consumer-pkg-config "$dir/consumer-pkgconfig"
check installed-consumer-cmake "$dir/consumer-cmake"
group=$(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' "$dir/60-kring.rules")
mode=$(sed -n 's/.*MODE="\([^"]*\)".*/\1/p' "$dir/60-kring.rules")
check udev-rule-says-group-kring-0660 test "$group:$mode" = kring:0660
# busybox has no adduser here: the accounts as files. ringreader is in the
# group as a supplementary member, as `usermod -aG kring` makes one.
cat >/etc/passwd <<PASSWD
root:x:0:0:root:/:/bin/sh
ringreader:x:1000:1000::/:/bin/sh
outsider:x:1001:1001::/:/bin/sh
PASSWD
cat >/etc/group <<GROUP
root:x:0:
$group:x:900:ringreader
users:x:1000:
GROUP
chgrp "$group" /dev/kring
chmod "$mode" /dev/kring
check kring-group-member-consumes su ringreader -c "$dir/consumer-pkgconfig"
su outsider -c "$dir/consumer-pkgconfig"
check outsider-gets-EACCES test $? -eq 13
