#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# DKMS POST_BUILD (dkms.conf): keep the shim's Module.symvers for drivers
# built against it.  DKMS runs this in its build directory
# (<dkmstree>/auxshim/<version>/build) and deletes that directory right
# after, so the file is copied beside the kernel's log and modules:
#
#   <dkmstree>/auxshim/<version>/<kernelver>/<arch>/Module.symvers
#
# ("dkms remove" deletes it with the rest).  Never fails the build.
kernelver=$1
arch=$2
dest=../$kernelver/$arch
if [ -f Module.symvers ] && [ -d "$dest" ]; then
	cp -f Module.symvers "$dest/Module.symvers" &&
		echo "auxshim: Module.symvers kept in $(cd "$dest" && pwd)"
fi
exit 0
