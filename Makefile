# kring: one Makefile drives the module (Kbuild), the userspace build (CMake),
# the test VM, the tests, the litmus suite and the benchmarks.
#
#   make run      build everything, boot the test VM and run the demo
#   make check    every test: userspace (ASan/UBSan, TSan), in-VM, litmus
#   make module   the kernel module only, for KVER (default: scripts/kernel-version);
#                 needs that kernel's headers, nothing else, and no root
#   make user     the userspace tree (build/asan) only
#   make vm-test  the in-VM tests only
#   make debug-kernel  a KASAN/lockdep kernel for the VM, cached per machine
#   make litmus   the herd7 suite (needs herd7 on PATH)
#   make bench    the benchmarks
#   make checkpatch  kernel coding style of kmod/
#   make install  libkring, its headers, pkg-config and CMake files, the tools,
#                 man pages, the module through DKMS, the udev rule (PREFIX,
#                 DESTDIR); make uninstall reverses it
#   make fuzz     the verifier fuzzer under ASan/UBSan, FUZZ_SECONDS long (600)
#                 from FUZZ_SEED (default: the time); failures go to build/fuzz;
#                 FUZZ_ARGS adds kring-fuzz options (--strict-overflow)

SHELL := /bin/bash
KVER ?= $(shell scripts/kernel-version 2>/dev/null)
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local

.PHONY: debug-kernel all deps module user user-vm vm-test check run litmus bench checkpatch fuzz clean install uninstall

all: module user

deps:
	@scripts/install-deps.sh

# build/modules/$(KVER)/kmod/kring.ko (and the test module beside it).
module:
	scripts/build-module.sh $(KVER)

# The userspace tree with ASan+UBSan, for the userspace tests.
user: deps
	cmake -S . -B build/asan -DKRING_SANITIZE=address,undefined >/dev/null
	cmake --build build/asan -j$(JOBS)

# The binaries that go into the VM: optimised, statically linked.
user-vm: deps
	cmake -S . -B build/vm -DCMAKE_BUILD_TYPE=Release -DKRING_STATIC=ON >/dev/null
	cmake --build build/vm -j$(JOBS)

# As check.sh: the live-text-patching suite in a boot of its own on
# single-threaded TCG (docs/testing.md).
vm-test: deps module user-vm
	tests/vm/run-vm.sh --kver $(KVER) --mode test --disk 64 --append kring.skip_suite=live-text-patching
	tests/vm/run-vm.sh --kver $(KVER) --mode test --single-thread --append kring.suite=live-text-patching

run: deps module user-vm
	tests/vm/run-vm.sh --kver $(KVER) --mode demo

check: deps
	scripts/check.sh

litmus:
	litmus/run.sh

bench: deps module user-vm
	bench/run.sh --kver $(KVER)

FUZZ_SECONDS ?= 600
FUZZ_SEED ?= $(shell date +%s)
FUZZ_ARGS ?=

# The verifier fuzzer (docs/testing.md): a long run, its rate every 30 s.
fuzz: deps
	cmake -S . -B build/asan -DKRING_SANITIZE=address,undefined >/dev/null
	cmake --build build/asan -j$(JOBS) --target kring-fuzz
	build/asan/tests/fuzz/kring-fuzz --seed $(FUZZ_SEED) --seconds $(FUZZ_SECONDS) \
		--progress 30 --dump build/fuzz $(FUZZ_ARGS)

checkpatch:
	scripts/checkpatch.sh
	scripts/clang-format-check.sh

# A 6.1 kernel with KASAN, lockdep, DEBUG_ATOMIC_SLEEP and KFENCE for the
# test VM, built once per machine (cached in /var/cache/kring); make check
# runs the VM suite on it when it is there.
debug-kernel:
	scripts/debug-kernel.sh build

# PREFIX (default /usr/local) and DESTDIR as usual; docs/install.md.
install:
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install.sh install

uninstall:
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install.sh uninstall

clean:
	rm -rf build
