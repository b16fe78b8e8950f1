-- sqlite3 guest workload (c-tests/qemu/run.sh): WAL, memory-mapped I/O, a 100k-row table.
-- Every result printed is deterministic.
PRAGMA page_size = 4096;
PRAGMA journal_mode = WAL;
PRAGMA mmap_size = 268435456;
PRAGMA cache_size = -2000;
CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, s TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
INSERT INTO t SELECT x, (x * 2654435761) % 1000003, printf('row-%08d-%s', x, substr('abcdefghijklmnopqrstuvwxyz', 1 + x % 26)) FROM c;
CREATE INDEX t_k ON t (k);
SELECT count(*), sum(k), sum(length(s)) FROM t;
UPDATE t SET s = s || '-updated' WHERE id % 7 = 0;
DELETE FROM t WHERE id % 11 = 0;
SELECT count(*), sum(k), sum(length(s)), min(k), max(k) FROM t;
SELECT k, s FROM t ORDER BY k LIMIT 3;
SELECT id % 10 AS b, count(*), sum(k) FROM t GROUP BY b ORDER BY b;
PRAGMA wal_checkpoint(TRUNCATE);
SELECT count(*) FROM t WHERE k BETWEEN 1000 AND 200000;
