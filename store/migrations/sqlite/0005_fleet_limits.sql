-- Intentionally empty: migrations/postgres/0005_fleet_limits.sql adds the
-- tables through which several replicas share the request budget, the
-- Retry-After blocks and the login limits. A SQLite database serves one
-- process, which counts those in memory (guard.MemoryBudget,
-- loginlimit.Memory). This file keeps the versions of both folders equal.
SELECT 1;
