-- Nothing to do on SQLite. On PostgreSQL this version adds the tables
-- through which several replicas share their refreshers' feeds (leases,
-- snapshots, watched jobs); SQLite serves one process, whose refresher
-- needs none of them. The file exists so that both backends keep the same
-- numbered migrations (store/postgres_migrate.go).
SELECT 1;
