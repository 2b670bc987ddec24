#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Extended attributes and POSIX ACLs through zuf.ko against zufs-testsrv
# (ZUFS_CAP_XATTR + ZUFS_CAP_ACL): namespaces, limits, error codes,
# flags; ACLs set, enforced for an unprivileged user, updated by chmod,
# inherited from default ACLs, and read back from the server after the
# kernel dropped its cache.
. "$(dirname "$0")/lib.sh"

command -v setfacl >/dev/null || { echo "SKIP: no setfacl (package acl)"; exit 77; }
command -v setfattr >/dev/null || { echo "SKIP: no setfattr (package attr)"; exit 77; }

start_server zufs_t_xattr
check "mount" mount_zufs zufs_t_xattr
cd "$MNT" || exit 1
chmod 755 .

# ---- xattrs
check "prepare" sh -c 'echo data > f && chmod 644 f'
check "user. set + get" sh -c 'setfattr -n user.a -v hello f && [ "$(getfattr --only-values -n user.a f)" = hello ]'
check "user. replace value" sh -c 'setfattr -n user.a -v bye f && [ "$(getfattr --only-values -n user.a f)" = bye ]'
check "empty value" sh -c 'setfattr -n user.empty f && [ -z "$(getfattr --only-values -n user.empty f)" ]'
check "trusted. as root" sh -c 'setfattr -n trusted.t -v tv f && [ "$(getfattr --only-values -n trusted.t f)" = tv ]'
check "security. as root" sh -c 'setfattr -n security.s -v sv f && [ "$(getfattr --only-values -n security.s f)" = sv ]'
check "listxattr as root shows all" python3 -c "
import os
names = sorted(os.listxattr('f'))
assert names == ['security.s', 'trusted.t', 'user.a', 'user.empty'], names"
check "listxattr as nobody hides trusted." as_nobody python3 -c "
import os
names = sorted(os.listxattr('f'))
assert names == ['security.s', 'user.a', 'user.empty'], names"
fails_with "trusted. get as nobody" "No such attribute\|not permitted\|not supported" as_nobody getfattr -n trusted.t f
fails_with "user. set as nobody on root's file" "Permission denied" as_nobody setfattr -n user.n -v x f
fails_with "ENODATA" "No such attribute" getfattr -n user.none f
fails_with "ERANGE (small buffer)" "ERANGE" python3 -c "
import ctypes, errno, sys
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(2)
r = libc.getxattr(b'f', b'user.a', buf, 2)
sys.exit('ERANGE' if r < 0 and ctypes.get_errno() == errno.ERANGE else 'r=%d' % r)"
check "size query (size 0)" python3 -c "
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
assert libc.getxattr(b'f', b'user.a', None, 0) == 3
assert libc.listxattr(b'f', None, 0) > 0"
fails_with "listxattr ERANGE" "ERANGE" python3 -c "
import ctypes, errno, sys
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(4)
r = libc.listxattr(b'f', buf, 4)
sys.exit('ERANGE' if r < 0 and ctypes.get_errno() == errno.ERANGE else 'r=%d' % r)"
fails_with "XATTR_CREATE on existing" "exists" python3 -c "
import os; os.setxattr('f', 'user.a', b'x', os.XATTR_CREATE)"
fails_with "XATTR_REPLACE on missing" "No data\|No such attribute" python3 -c "
import os; os.setxattr('f', 'user.missing', b'x', os.XATTR_REPLACE)"
check "XATTR_CREATE new + XATTR_REPLACE existing" python3 -c "
import os
os.setxattr('f', 'user.c', b'1', os.XATTR_CREATE)
os.setxattr('f', 'user.c', b'2', os.XATTR_REPLACE)
assert os.getxattr('f', 'user.c') == b'2'"
check "64 KiB value (the limit)" python3 -c "
import os
v = os.urandom(65536)
os.setxattr('f', 'user.big', v)
assert os.getxattr('f', 'user.big') == v"
fails_with "value over 64 KiB -> E2BIG" "Argument list too long" python3 -c "
import os; os.setxattr('f', 'user.big2', b'x' * 65537)"
check "255-byte name" python3 -c "
import os
n = 'user.' + 'n' * 250
os.setxattr('f', n, b'v')
assert os.getxattr('f', n) == b'v'"
fails_with "256-byte name -> ERANGE" "out of range" python3 -c "
import os; os.setxattr('f', 'user.' + 'n' * 251, b'v')"
check "remove" sh -c 'setfattr -x user.a f && ! getfattr -n user.a f 2>/dev/null'
fails_with "remove missing -> ENODATA" "No such attribute" setfattr -x user.a f
check "xattr on a directory" sh -c 'mkdir xd && setfattr -n user.d -v dv xd && [ "$(getfattr --only-values -n user.d xd)" = dv ]'
check "xattr changes ctime" sh -c 'c1=$(stat -c %z f); setfattr -n user.t -v 1 f; [ "$(stat -c %z f)" != "$c1" ]'
check "xattrs survive dropping the caches" sh -c 'sync; echo 2 > /proc/sys/vm/drop_caches; [ "$(getfattr --only-values -n user.c f)" = 2 ]'

# ---- POSIX ACLs
check "prepare acl file" sh -c 'echo secret > a && chmod 600 a'
fails_with "nobody denied without ACL" "Permission denied" as_nobody cat a
check "setfacl user entry" setfacl -m u:65534:r a
check "getfacl shows it" sh -c 'getfacl -c a | grep -q "^user:nobody:r--"'
check "ACL stored as system.posix_acl_access" sh -c 'getfattr -m - -d a | grep -q system.posix_acl_access'
check "mode group bits = mask" sh -c '[ "$(stat -c %a a)" = 640 ]'
check "nobody reads through the ACL" sh -c '[ "$(setpriv --reuid=65534 --regid=65534 --clear-groups cat a)" = secret ]'
fails_with "nobody still cannot write" "Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo x >> a'
check "chmod rewrites the ACL mask" sh -c 'chmod 600 a && getfacl -c a | grep -q "^mask::---"'
fails_with "nobody denied after chmod" "Permission denied" as_nobody cat a
check "ACL read back from the server" sh -c 'chmod 640 a && sync && echo 2 > /proc/sys/vm/drop_caches && getfacl -c a | grep -q "^user:nobody:r--" && [ "$(setpriv --reuid=65534 --regid=65534 --clear-groups cat a)" = secret ]'
check "named user entry denies despite other" sh -c 'echo pub > b && chmod 644 b && setfacl -m u:65534:--- b'
fails_with "nobody denied by the named entry" "Permission denied" as_nobody cat b
check "setfacl -b removes the ACL" sh -c 'setfacl -b b && ! getfattr -n system.posix_acl_access b 2>/dev/null && [ "$(setpriv --reuid=65534 --regid=65534 --clear-groups cat b)" = pub ]'
fails_with "nobody cannot set an ACL on root's file" "not permitted" as_nobody setfacl -m u:65534:rwx b
check "equivalent ACL becomes the mode" sh -c 'setfacl -m u::rwx,g::r-x,o::--- b && [ "$(stat -c %a b)" = 750 ] && ! getfattr -n system.posix_acl_access b 2>/dev/null'
fails_with "default ACL on a file -> EACCES" "Permission denied" python3 -c "
import os
# a valid default ACL: version 2, user::rw-, group::r--, other::r--
e = lambda tag, perm: tag.to_bytes(2, 'little') + perm.to_bytes(2, 'little') + (0xffffffff).to_bytes(4, 'little')
v = (2).to_bytes(4, 'little') + e(1, 6) + e(4, 4) + e(0x20, 4)
os.setxattr('b', 'system.posix_acl_default', v)"

# inheritance
check "default ACL on a directory" sh -c 'mkdir inh && chmod 700 inh && setfacl -m u:65534:rwx inh && setfacl -d -m u:65534:rwx,g::r-x,o::--- inh'
check "getfacl -d" sh -c 'getfacl -c -d inh | grep -q "^user:nobody:rwx"'
check "new file inherits the default ACL" sh -c 'umask 077 && echo in > inh/f && getfacl -c inh/f | grep -q "^user:nobody:rwx" && [ "$(stat -c %a inh/f)" = 660 ]'
check "new directory inherits access + default ACL" sh -c 'mkdir inh/sub && getfacl -c inh/sub | grep -q "^user:nobody:rwx" && getfacl -c -d inh/sub | grep -q "^user:nobody:rwx"'
check "nobody creates through inherited ACLs" setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo mine > inh/sub/nb && [ "$(cat inh/sub/nb)" = mine ]'
check "inherited ACLs read back from the server" sh -c 'sync; echo 2 > /proc/sys/vm/drop_caches; getfacl -c inh/sub/nb | grep -q "^user:nobody:rwx"'
check "O_TMPFILE inherits the default ACL" python3 -c "$PY_LINKAT
fd = os.open('inh', os.O_TMPFILE | os.O_RDWR, 0o666)
linkat(fd, 'inh/tmp')
os.close(fd)
import subprocess
out = subprocess.run(['getfacl', '-c', 'inh/tmp'], capture_output=True, text=True).stdout
assert 'user:nobody:rwx' in out, out"
check "no default ACL: umask applies" sh -c 'umask 027 && mkdir noacl && touch noacl/f && [ "$(stat -c %a noacl/f)" = 640 ] && [ "$(stat -c %a noacl)" = 750 ]'

cd /
check "umount" umount "$MNT"
rmdir "$MNT"; MNT=
finish
