# Thin wrapper around CMake. The two commands of the README:
#   make demo    install, build, run the sample profile -> out/sample-profile.gpkg
#   make check   install, build, run every test through CTest
BUILD ?= build
TYPE ?= Release
JOBS ?= $(shell nproc)
CTXPROF = $(BUILD)/src/ctxprof

.PHONY: all deps deps-test build demo check test asan ubsan tsan sanitize bench plugin sample clean fuzz valgrind

all: build

deps:
	@.ci/install-deps

# The tests also need QGIS (the plugin and QGIS comparison tests, label qgis)
# and PostgreSQL 15 + PostGIS 3 (the PostGIS output test, label postgis).
deps-test:
	@.ci/install-deps qgis postgis fuzz

# CMAKE_ARGS: more cache settings, e.g. -DCTXPROF_WERROR=ON (CI: warnings are errors).
CMAKE_ARGS ?=
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p out
	$(CTXPROF) run gis-data/sample/sample.ini -o out/sample-profile.gpkg

CTEST_ARGS ?=
test:
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

check: deps-test build
	@$(MAKE) --no-print-directory test BUILD=$(BUILD)

# The test suite under the sanitizers, each in its own build folder.
# The fuzz test is left out: its targets are built with ASAN and UBSAN anyway.
asan:
	@$(MAKE) --no-print-directory check BUILD=build-asan TYPE=ASAN CTEST_ARGS="-LE fuzz"
ubsan:
	@$(MAKE) --no-print-directory check BUILD=build-ubsan TYPE=UBSAN
# The unit tests (threaded linking, reading, updating, kernel density)
# under ThreadSanitizer; GDAL's own lock order is left out (tests/tsan.supp).
tsan:
	@TSAN_OPTIONS="halt_on_error=1 allocator_may_return_null=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  $(MAKE) --no-print-directory check BUILD=build-tsan TYPE=TSAN CTEST_ARGS="-L unit"
sanitize: asan ubsan tsan

# The libFuzzer targets (clang), each for FUZZ_TIME seconds; see tests/fuzz/.
FUZZ_TIME ?= 60
fuzz:
	@.ci/install-deps fuzz
	@tests/fuzz/run-fuzz . build-fuzz $(FUZZ_TIME)

# The sample run under valgrind (memcheck): definite leaks and memory errors
# fail it. Several minutes, so not part of `make check`; see docs/security.md.
valgrind: build
	@command -v valgrind >/dev/null || .ci/install-deps valgrind
	valgrind --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	  --error-exitcode=99 --num-callers=30 \
	  $(CTXPROF) run gis-data/sample/sample.ini -o out/valgrind-sample.gpkg

bench: build
	@.ci/install-deps qgis postgis
	@bench/run-all

# The QGIS plugin as a zip for QGIS's plugin manager.
plugin:
	@qgis-plugin/build-zip dist/ctxprof.zip

sample:
	/usr/bin/python3 gis-data/sample/generate.py

clean:
	rm -rf build build-asan build-ubsan build-fuzz out dist
