# ocislim — build, test, demo and benchmarks. Every target that needs system packages runs scripts/setup.sh first,
# so on a fresh Debian machine `make demo` and `make test` do all the set-up themselves.

SWIFT    ?= swift
# The one release build (see `release`): the Swift runtime linked statically, in a build directory of its own.
RELEASE_SCRATCH := .build-static
OCISLIM  := $(RELEASE_SCRATCH)/release/ocislim
IMAGE    := .cache/images/python-debian
DEMO_OUT := .cache/demo/out
STRATEGY ?= dedup
BENCH_ARGS ?=

.PHONY: all setup build release lint format test unit e2e e2e-selection e2e-referrers e2e-fleet e2e-verify e2e-archives archive-fixtures e2e-archives-selftest faults e2e-mirror reproducible-image \
	demo bench bench-memory fuzz fuzz-build fuzz-short sanitize clean static install uninstall man image e2e-ship

all: build

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

# The release build is the static one that `make install` and `make image` ship (the Swift runtime and Foundation
# linked statically): the end-to-end tests check the very binary that is installed, and `make test` pays for one
# release build, not two. Its own build directory: the compiler flags differ from the debug build's in .build.
# Only the product the tests and the install use (`make bench` adds ocislim-bench to the same build directory).
RELEASE_BUILD = $(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_SCRATCH)

release: setup
	$(RELEASE_BUILD) --product ocislim

## Formatting and lint (.swift-format): `make lint` fails on any finding; `make format` rewrites the tree in place.
SWIFT_FORMAT_PATHS := Package.swift Sources Tests

lint:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_FORMAT_PATHS)

format:
	$(SWIFT) format format --in-place --recursive --parallel $(SWIFT_FORMAT_PATHS)

## Unit and integration tests (Swift Testing), then the end-to-end run on the real Debian + PyPI image (and that image
## built a second time: it must be reproducible), then every
## image shape through the real loaders (a sharp subset of shapes: ARCHIVE_SHAPES=all for every one, as CI runs it),
## then the install and ocislim's own image, then a registry mirror's round trip, then the fault tests (SIGKILL,
## signals at random points, a full disk, EIO, short writes, a read-only parent, two runs at once), then a short fuzz
## pass (10 s per libFuzzer target).
test: unit e2e reproducible-image e2e-selection e2e-referrers e2e-fleet e2e-archives e2e-verify e2e-ship e2e-mirror faults fuzz-short

# `swift build --build-tests` first: `swift test`'s own build does not rerun the BuildInfo plugin's prebuild
# command, so after a commit it would test a binary that still names the previous one.
unit: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# CPython's regression tests (check j) run in `make test` for the strategies that change what Python loads;
# CPYTHON_STRATEGIES=all (CI) runs them for dedup and drop-optimized too.
CPYTHON_STRATEGIES ?= drop-bytecode sourceless+hook

e2e: release
	OCISLIM=$(OCISLIM) E2E_CPYTHON_INFORMATIONAL=$${E2E_CPYTHON_INFORMATIONAL:-0} \
		E2E_CPYTHON_STRATEGIES="$(CPYTHON_STRATEGIES)" bash scripts/e2e.sh

faults: release
	OCISLIM=$(OCISLIM) bash scripts/fault-tests.sh

## The sample image is reproducible (issue 13): built a second time from the same Debian packages and wheels, every
## layer, the config and the manifest are identical, so the README's strategy table can be measured again. Root, network.
reproducible-image: setup
	bash scripts/check-reproducible-image.sh $(IMAGE)

## Layout references on the real image (issue 9): oci:DIR:NAME, two concurrent writers adding names to one layout,
## --replace, --platform; checked with oci-image-tool and skopeo.
e2e-selection: release
	OCISLIM=$(OCISLIM) bash scripts/e2e-selection.sh

## The layer cache on a fleet sharing the real image's layers (issue 11; scripts/make-fleet-fixture.sh builds it once
## into .cache/images/fleet): each shared layer scanned and rewritten once, outputs byte-identical to uncached runs,
## damaged entries ignored and rewritten, two runs sharing one cache at once.
e2e-fleet: release
	OCISLIM=$(OCISLIM) bash scripts/e2e-fleet.sh

## Signatures and attestations (issue 11) on the small layouts of testdata/referrers (scripts/make-referrer-fixtures.py):
## relinked, dropped, kept and refused (exit 3), checked with oci-image-tool, umoci and skopeo; under a minute.
e2e-referrers: release
	OCISLIM=$(OCISLIM) bash scripts/e2e-referrers.sh

## `ocislim verify` on the real image (issue 12): each strategy's output imports every module the original does, in
## bubblewrap sandboxes, and a deliberately broken rewrite is caught naming exactly its module (exit 5). `make test`
## verifies the strategy that changes most what Python loads (sourceless) on a sample of VERIFY_SAMPLE modules per
## interpreter (verify --sample: spread over every tree, the broken one's module always in it);
## VERIFY_STRATEGIES=all verifies every strategy and --reclaim-hidden (CI: on 1,000 modules per interpreter, 60 % of
## them; VERIFY_SAMPLE=all imports every module).
VERIFY_STRATEGIES ?= sourceless
VERIFY_SAMPLE ?= 400
# The docker-library-style image (no bytecode: each import compiles its module, ~4x slower a module) on a smaller
# sample: 100 in make test, 400 in CI (every module there would take ~20 minutes per strategy on 2 cores).
VERIFY_NOBYTECODE_SAMPLE ?= $(if $(filter all,$(VERIFY_SAMPLE)),400,100)
# The deliberately broken rewrite, caught naming its module (always in the sample), on a small sample.
VERIFY_BROKEN_SAMPLE ?= $(if $(filter all,$(VERIFY_SAMPLE)),all,50)

e2e-verify: release
	OCISLIM=$(OCISLIM) $(if $(filter all,$(VERIFY_STRATEGIES)),,E2E_STRATEGIES="$(VERIFY_STRATEGIES)") \
		E2E_VERIFY_SAMPLE=$(VERIFY_SAMPLE) E2E_NOBYTECODE_SAMPLE=$(VERIFY_NOBYTECODE_SAMPLE) \
		E2E_BROKEN_SAMPLE=$(VERIFY_BROKEN_SAMPLE) bash scripts/e2e-verify.sh

## ocislim as a registry mirror's step (issue 11): the real image with a BuildKit-style attestation index pushed to
## Debian's docker-registry on 127.0.0.1, skopeo copy --all to oci:, ocislim rewrite, skopeo copy --all back; the
## registry's digest equals the report's, and a private dockerd pulls and runs it. Also checks deploy/'s manifests.
## Needs root (dockerd).
e2e-mirror: release
	OCISLIM=$(OCISLIM) bash scripts/e2e-mirror.sh

## Every image shape in and out (issue 9): real `docker save` (dockerd 20.10), `ctr images export`, skopeo and scripted
## Docker 25+ / crane archives of the real image (made once, cached in .cache/images/archives), each rewritten and
## loaded by the real loaders (docker load, ctr import, podman load, skopeo) on private sockets. Needs root.
archive-fixtures: setup
	bash scripts/make-test-image.sh $(IMAGE)
	bash scripts/make-archive-fixtures.sh

# The shapes `make test` runs through the loaders: Docker 20.10's own save (docker load and run), the Docker 25+ shape
# (docker load, ctr import), a sparse containerd export (ctr import, absent platform carried), skopeo's (podman, the
# docker save | ocislim | docker load pipe) and an OCI archive. The others (crane, a plain containerd export, "./"
# names) are read and written by the unit tests; ARCHIVE_SHAPES=all runs them here too. `make test` runs python-probe
# in the first shape only, and checks that the others hold the same diff_ids (the same filesystem); ARCHIVE_SHAPES=all
# probes every shape.
ARCHIVE_SHAPES ?= shape1-docker-legacy shape2-docker25 shape3-containerd-sparse shape4-skopeo oci-archive

e2e-archives: release archive-fixtures
	OCISLIM=$(OCISLIM) \
		$(if $(filter all,$(ARCHIVE_SHAPES)),,E2E_ARCHIVE_SHAPES="$(ARCHIVE_SHAPES)" E2E_ARCHIVES_PROBE=first) \
		bash scripts/e2e-archives.sh

# The loader checks on the fixtures themselves, without ocislim: validates the harness.
e2e-archives-selftest: archive-fixtures
	E2E_ARCHIVES_SELFTEST=1 bash scripts/e2e-archives.sh

## Build the real sample image (once; cached in .cache/), show what each strategy would save (audit), rewrite it with
## the default strategy, print the report and the next commands to try.
demo: release
	bash scripts/make-test-image.sh $(IMAGE)
	@echo; echo "== What each strategy would save on $(IMAGE) (ocislim audit):"
	$(OCISLIM) audit -q $(IMAGE)
	rm -rf $(DEMO_OUT) && mkdir -p $(dir $(DEMO_OUT))
	@echo; echo "== Rewriting with --strategy $(STRATEGY) (the default; STRATEGY=drop-bytecode make demo for another):"
	$(OCISLIM) rewrite --strategy $(STRATEGY) --report $(DEMO_OUT).json $(IMAGE) $(DEMO_OUT)
	@echo
	@echo "Next:"
	@echo "  binary:      $(CURDIR)/$(OCISLIM)   ($(OCISLIM) --version; $(OCISLIM) rewrite --help)"
	@echo "  JSON report: $(DEMO_OUT).json"
	@echo "  inspect:     skopeo inspect oci:$(DEMO_OUT):latest"
	@echo "  push:        skopeo copy oci:$(DEMO_OUT):latest docker://REGISTRY/IMAGE:TAG"
	@echo "  compare:     $(OCISLIM) audit --json $(IMAGE) | jq '.strategies[] | {name, saved: .report.totals}'"

## Benchmarks against peers (issue 4, BENCHMARKS.md): makes the images (cached), runs ocislim and its peers
## alternately, prints medians and ratios, writes .cache/bench/results.{json,md} and docs/benchmarks.png.
## BENCH_ARGS=--quick for a smoke run (one run, small synthetic images; results in .cache/bench/quick).
bench: release
	$(RELEASE_BUILD) --product ocislim-bench
	OCISLIM=$(OCISLIM) python3 scripts/bench.py $(BENCH_ARGS)

## Peak memory on synthetic layers of 256 MiB and 4 GiB against a 1 MiB baseline (the memory section of bench).
bench-memory: release
	OCISLIM=$(OCISLIM) python3 scripts/bench.py --only memory $(BENCH_ARGS)

## Fuzzing (issue 10): libFuzzer harnesses (Sources/ocislim-fuzz) for the JSON documents, the layout reader, the tar
## entry path and the planner, built with AddressSanitizer into .build-fuzz (declared only with OCISLIM_FUZZ=1, see
## Package.swift). Each runs FUZZ_SECONDS from its seeds (testdata/fuzz/<target>, made by scripts/make-fuzz-seeds.py);
## a crash, leak or hang is saved in .cache/fuzz/<target>/ and fails make. `make fuzz-short` is the pass CI runs.
FUZZ_TARGETS ?= json layout tar planner
FUZZ_SECONDS ?= 60
FUZZ_BUILD := OCISLIM_FUZZ=1 $(SWIFT) build -c debug -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz

fuzz-build: setup
	for target in $(FUZZ_TARGETS); do $(FUZZ_BUILD) --product ocislim-fuzz-$$target || exit 1; done

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_TARGETS)

fuzz-short:
	$(MAKE) fuzz FUZZ_SECONDS=10

## The unit tests once under AddressSanitizer (with LeakSanitizer; scripts/lsan.supp lists the leaks of other
## people's code) and once under ThreadSanitizer (the pipeline is multi-threaded), each in its own build directory.
## Under TSan one check is skipped: zstd at level -5 once wrote different bytes with 5 workers than with 1 in a TSan
## run under heavy load (never reproduced outside TSan: 12 runs under load passed). It checks libzstd's scheduling,
## which TSan does not instrument, and it runs in every plain `make unit`; the finding is recorded for investigation.
TSAN_SKIP := otherLevelsDoNotDependOnTheThreadCount

sanitize: setup
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0 SWIFT_BACKTRACE=enable=no \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan \
		--skip $(TSAN_SKIP)

clean:
	rm -rf .build $(RELEASE_SCRATCH) .build-fuzz .build-asan .build-tsan .cache

## Install (issue 13): the release binary (`make release`: the Swift runtime and Foundation linked statically), so that
## it runs with only the shared C libraries it links (libarchive, libcrypto, zlib, libzstd, libdeflate, ISA-L,
## libstdc++); a man page made by swift-argument-parser's generate-manual tool from the parser's own help; bash, zsh
## and fish completions. `make static` is another name for `make release`.
## `make install PREFIX=/usr/local` (DESTDIR=... to stage), `make uninstall` removes exactly what install wrote.
PREFIX         ?= /usr/local
DESTDIR        ?=
STATIC_SCRATCH := $(RELEASE_SCRATCH)
STATIC_OCISLIM := $(OCISLIM)
MAN_DIR        := $(STATIC_SCRATCH)/man
# generate-manual is an executable target of swift-argument-parser, not a product, so our package cannot build it;
# it is built from the package's resolved checkout, in a directory of its own. (`swift package generate-manual`, the
# plugin around it, would rebuild every product of ours with its own build flags.) A debug build: it runs once, on a
# few kilobytes of help, and compiles in about half the time of a release build.
GENERATE_MANUAL_SCRATCH := $(STATIC_SCRATCH)/generate-manual
GENERATE_MANUAL := $(GENERATE_MANUAL_SCRATCH)/debug/generate-manual
# The man page is dated by the commit it documents, so it does not change from one build to the next. generate-manual
# keeps the blank lines between the help's paragraphs, which mdoc warns about; they become .Pp, mdoc's paragraph break.
MAN_DATE = $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)
INSTALL_BIN        = $(DESTDIR)$(PREFIX)/bin/ocislim
INSTALL_MAN        = $(DESTDIR)$(PREFIX)/share/man/man1/ocislim.1
INSTALL_BASH       = $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ocislim
INSTALL_ZSH        = $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_ocislim
INSTALL_FISH       = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/ocislim.fish

static: release

man: static
	$(SWIFT) build -c debug --package-path $(STATIC_SCRATCH)/checkouts/swift-argument-parser \
		--product generate-manual --scratch-path $(GENERATE_MANUAL_SCRATCH)
	mkdir -p $(MAN_DIR)
	$(GENERATE_MANUAL) $(STATIC_OCISLIM) --date $(MAN_DATE) --output-directory $(MAN_DIR)
	sed -i 's/^$$/.Pp/' $(MAN_DIR)/ocislim.1
	@echo "man page: $(MAN_DIR)/ocislim.1 (man -l $(MAN_DIR)/ocislim.1)"

# Installed stripped: 61 MB instead of 80 MB (the symbols only name frames in a crash backtrace).
install: static man
	install -d $(dir $(INSTALL_BIN)) $(dir $(INSTALL_MAN)) $(dir $(INSTALL_BASH)) $(dir $(INSTALL_ZSH)) \
		$(dir $(INSTALL_FISH))
	install -m 0755 -s $(STATIC_OCISLIM) $(INSTALL_BIN)
	install -m 0644 $(MAN_DIR)/ocislim.1 $(INSTALL_MAN)
	$(STATIC_OCISLIM) --generate-completion-script bash > $(INSTALL_BASH)
	$(STATIC_OCISLIM) --generate-completion-script zsh > $(INSTALL_ZSH)
	$(STATIC_OCISLIM) --generate-completion-script fish > $(INSTALL_FISH)
	chmod 0644 $(INSTALL_BASH) $(INSTALL_ZSH) $(INSTALL_FISH)
	@echo "installed $$($(INSTALL_BIN) --version) in $(INSTALL_BIN)"

uninstall:
	rm -f $(INSTALL_BIN) $(INSTALL_MAN) $(INSTALL_BASH) $(INSTALL_ZSH) $(INSTALL_FISH)

## ocislim's own image (scripts/make-ocislim-image.sh): a Debian bookworm base made by mmdebstrap with only the
## binary's run-time libraries and a non-root user (cached in .cache/image/base), the static binary as a second layer,
## slimmed by ocislim itself; written as the OCI layout .cache/image/ocislim (tag: the version) and the docker-archive
## .cache/image/ocislim-VERSION.tar. Needs root (mmdebstrap --mode=root, umoci unpack).
image: static
	bash scripts/make-ocislim-image.sh $(STATIC_OCISLIM) .cache/image

## The install and the image, checked (issue 13): the installed binary runs without the Swift toolchain, its man page
## and completions work, the image runs ocislim (chroot as its user) and loads. Needs root.
e2e-ship: setup
	bash scripts/e2e-ship.sh
