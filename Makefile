# The two commands a newcomer needs: `make run` and `make test` (see README.md).
.PHONY: run test setup lint

run:
	./scripts/run

test:
	./scripts/test

setup:
	./scripts/setup

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
