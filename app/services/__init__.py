"""Operations that change state. Each one is a single transaction that also writes its audit events and
outbox rows; routes and CLI commands stay thin and call these."""
