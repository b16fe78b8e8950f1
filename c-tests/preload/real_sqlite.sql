-- Real-program test for the LD_PRELOAD tool: sqlite3 with memory-mapped I/O.
PRAGMA mmap_size = 268435456;
PRAGMA page_size = 4096;
PRAGMA cache_size = 200;
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT, w BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO t SELECT i, (i * 7919) % 100003, printf('value-%08d', (i * 104729) % 1000003), zeroblob(i % 300) FROM n;
CREATE INDEX t_k ON t(k);
SELECT count(*), sum(k), min(v), max(v), sum(length(w)) FROM t;
SELECT k, count(*) FROM t GROUP BY k ORDER BY count(*) DESC, k LIMIT 5;
UPDATE t SET v = upper(v) WHERE id % 3 = 0;
DELETE FROM t WHERE k % 10 = 1;
SELECT count(*), sum(length(v)), total(id) FROM t;
PRAGMA mmap_size;
VACUUM;
PRAGMA mmap_size = 268435456;
SELECT count(*), sum(k) FROM t WHERE k BETWEEN 1000 AND 50000;
SELECT v FROM t ORDER BY k DESC, id LIMIT 3;
PRAGMA integrity_check;
-- Write-ahead log: the wal-index (-shm file) is a shared file mapping.
PRAGMA journal_mode = WAL;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO t(k, v) SELECT i % 977, printf('wal-%06d', i) FROM n;
SELECT count(*), sum(k) FROM t;
PRAGMA wal_checkpoint(TRUNCATE);
PRAGMA journal_mode = DELETE;
PRAGMA integrity_check;
