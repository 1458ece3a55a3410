# swarmdeck: `make run` starts the dashboard, `make test` runs the whole test suite.
.PHONY: run test lint bench bench-logs bench-registry bench-merge bench-compat screenshot clean

run:
	@scripts/ensure-venv.sh
	@.venv/bin/python manage.py prepare
	@.venv/bin/python manage.py serve

test:
	@scripts/test.sh

lint:
	@scripts/ensure-venv.sh dev
	.venv/bin/ruff check .

bench: bench-logs bench-registry bench-merge bench-compat

bench-logs:
	@bench/run_log_stream.sh

bench-registry:
	@bench/run_registry_scan.sh

bench-merge:
	@bench/run_merge.sh

bench-compat:
	@scripts/ensure-venv.sh dev
	@.venv/bin/python bench/compat_pages.py

screenshot:
	@scripts/ensure-venv.sh dev
	.venv/bin/python -m pytest -q tests/screenshots.py -p no:cacheprovider

clean:
	rm -rf .venv
