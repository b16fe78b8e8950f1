-- second connection on the same database: reads through the mapping after the checkpoint
PRAGMA mmap_size = 268435456;
PRAGMA journal_mode;
SELECT count(*), sum(k), sum(length(s)) FROM t;
INSERT INTO t (id, k, s) SELECT id + 200000, k + 1, s FROM t WHERE id % 10 = 0;
SELECT count(*), sum(k), max(id) FROM t;
PRAGMA integrity_check;
